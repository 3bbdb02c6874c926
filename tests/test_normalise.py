"""Normalisation as the spec defines it: UK dates, postcodes, e-mail, phones, text, choices."""
import pytest

from parsers import normalise
from parsers.definitions import load_definitions

CHOICES = load_definitions()["v3"].choices


@pytest.mark.parametrize("written", ["01/02/2009", "1/2/2009", "1 Feb 2009", "1st February 2009", "2009-02-01",
                                     "01.02.2009", "Sunday 1st February 2009", "1 february 2009."])
def test_uk_dates_are_day_first(written):
    assert normalise.date(written) == "2009-02-01"


@pytest.mark.parametrize("written", ["31/02/2009", "Feb 2009", "3 March", "next week", "13/13/2013", ""])
def test_dates_that_cannot_be_read_are_not_guessed(written):
    with pytest.raises(normalise.Unreadable):
        normalise.date(written)


def test_two_digit_years_are_taken_as_recent_or_last_century():
    assert normalise.date("04/03/10") == "2010-03-04"
    assert normalise.date("04/03/75") == "1975-03-04"


@pytest.mark.parametrize("written,expected", [("so14 7du", "SO14 7DU"), ("SO147DU", "SO14 7DU"),
                                              ("sw1a  1aa", "SW1A 1AA"), ("M1 1AE", "M1 1AE")])
def test_postcodes(written, expected):
    assert normalise.postcode(written) == expected


@pytest.mark.parametrize("written", ["SO14", "12345", "not known"])
def test_invalid_postcodes_are_refused(written):
    with pytest.raises(normalise.Unreadable):
        normalise.postcode(written)


def test_email_lower_cased_and_checked():
    assert normalise.email(" Mary.O'Neill@School.SCH.uk ") == "mary.o'neill@school.sch.uk"
    assert normalise.email("mailto:A@B.org") == "a@b.org"
    with pytest.raises(normalise.Unreadable):
        normalise.email("mary at school")


def test_phone_e164_only_for_possible_numbers():
    assert normalise.phone_e164("023 8012 3456") == "+442380123456"
    assert normalise.phone_e164("+44 (0)7700 900123") == "+447700900123"
    assert normalise.phone_e164("ext 12") is None


def test_text_collapses_spaces_and_keeps_paragraphs():
    assert normalise.text("  Seen   twice \t near\n\n\n the  park  ") == "Seen twice near\nthe park"
    assert normalise.text(" \n ") is None


@pytest.mark.parametrize("written,kind,code", [
    ("Don't know", "yes_no_unknown", "unknown"), ("YES", "yes_no", "yes"), ("n", "yes_no", "no"),
    ("Someone else told me", "source", "told_by_third_party"), ("first_hand", "source", "first_hand"),
    ("F", "gender", "female"), ("Yes - verbally", "yes_no", "yes"),
])
def test_choices(written, kind, code):
    assert normalise.choice(written, CHOICES[kind]) == code


def test_ambiguous_choice_is_unreadable():
    with pytest.raises(normalise.Unreadable):
        normalise.choice("Yes and no", CHOICES["yes_no"])


@pytest.mark.parametrize("read,expected", [("$014 OjZ", "SO14 0JZ"), ("S014 7DU", "SO14 7DU"),
                                           ("SWIA 1AA", "SW1A 1AA"), ("M1 IAE", "M1 1AE")])
def test_ocr_postcodes_put_letters_and_digits_back_by_position(read, expected):
    assert normalise.ocr_postcode(read) == expected


def test_ocr_postcode_that_cannot_be_repaired_is_unreadable():
    with pytest.raises(normalise.Unreadable):
        normalise.ocr_postcode("sol14 7du x")
