"""Bytes in, a normalised CPI record out: readers, version detection and normalisation."""
