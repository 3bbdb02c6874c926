"""sender_mismatch: raised only when the e-mail came from outside the submitter's organisation."""
import pytest

from intake.sender import sender_mismatch


def record(email):
    return {"submitter": {"email": email}}


@pytest.mark.parametrize("sender,submitter,mismatch", [
    ("jo.bloggs@school.sch.uk", "jo.bloggs@school.sch.uk", False),
    ("office@school.sch.uk", "jo.bloggs@school.sch.uk", False),
    ("jo@mail.school.sch.uk", "jo.bloggs@school.sch.uk", False),
    ("someone@gmail.example", "jo.bloggs@school.sch.uk", True),
    ("JO.BLOGGS@SCHOOL.SCH.UK", "jo.bloggs@school.sch.uk", False),
    ("x@other.sch.uk", "jo.bloggs@school.sch.uk", True),
])
def test_sender_mismatch(sender, submitter, mismatch):
    assert sender_mismatch(sender, record(submitter)) is mismatch


def test_no_submitter_email_is_not_a_mismatch():
    assert sender_mismatch("a@b.org", {"submitter": None}) is False
    assert sender_mismatch("a@b.org", record(None)) is False
