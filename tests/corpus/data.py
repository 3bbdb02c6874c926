"""The answers filled into every corpus case: fictitious people, typed the way partners type them.

Each case gets its own combination from the pools below; `FILLS` maps (version, format id) to a
`Fill`. Values are typed text (`values.Value`); choices hold canonical codes ("yes",
"told_by_subject") and each writer prints them in its own words.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .values import Date, Email, Phone, Postcode, Value

DATE_STYLES = ("slash", "short", "ordinal", "long", "slash_nopad", "dash", "dots")
POSTCODE_STYLES = ("lower", "as_is", "nospace", "lower_nospace")


@dataclass
class Fill:
    """Everything written into one form."""

    version: str
    values: dict[str, Value]  # record path -> typed value; empty answers are absent
    categories: tuple[str, ...]  # codes ticked
    categories_other: str | None = None
    footer: bool = True  # page footer and document title metadata present
    variant: int = 0  # selects presentation: tick marks, answer words, label style
    revisions: dict[str, str] = field(default_factory=dict)  # path -> text deleted (tracked changes)


@dataclass(frozen=True)
class Submitter:
    name: str
    role: str
    organisation: str
    email: Email
    phone: Phone


@dataclass(frozen=True)
class Person:
    surname: str | None
    forenames: str | None
    date_of_birth: dt.date | None
    gender: str | None  # as typed
    address: str | None
    postcode: str | None
    school_or_setting: str | None


@dataclass(frozen=True)
class Story:
    """Section 4 and 6-7 text for one case (paragraphs)."""

    text: tuple[str, ...]
    associated: tuple[str, ...] | None
    risks: tuple[str, ...]
    mitigation: tuple[str, ...]


SUBMITTERS = (
    Submitter("Priya O'Neill", "Family Support Worker", "Southampton City Council, Children's Services",
              Email("Priya.ONeill@Southampton.example.gov.uk"), Phone("023 8012 3456", "+442380123456")),
    Submitter("Zoë Smith-Jones", "Designated Safeguarding Lead", "St Mary's C of E Primary School",
              Email("Z.Smith-Jones@StMarys-Primary.example.sch.uk"), Phone("0117 496 0123", "+441174960123")),
    Submitter("José Martínez", "Youth Worker", "Youth Options, Eastleigh",
              Email("jose.martinez@youthoptions.example.org"), Phone("07700 900123", "+447700900123")),
    Submitter("Łucja Nowak", "Housing Officer", "Portsmouth City Council – Housing Options",
              Email("LUCJA.NOWAK@Portsmouth.example.gov.uk"), Phone("023  9268   0000", "+442392680000")),
    Submitter("Mark D'Souza", "Attendance Officer", "Itchen College",
              Email("M.DSouza@Itchen.example.ac.uk"), Phone("0113 496 0555", "+441134960555")),
    Submitter("Aisha Rahman", "School Nurse", "Solent NHS Trust, 0-19 Service",
              Email("aisha.rahman@nhs.example.net"), Phone("0161 496 0783", "+441614960783")),
    Submitter("Tom Baker-Wells", "Project Manager", "The Bridge Youth Project",
              Email("Tom.Baker-Wells@BridgeYouth.example.org.uk"), Phone("020 7946 0321", "+442079460321")),
    Submitter("Helen McAllister", "Social Worker", "Hampshire County Council, Children's Services",
              Email("helen.mcallister@hants.example.gov.uk"), Phone("0121 496 0932", "+441214960932")),
    Submitter("Siân Ellis-Price", "Pastoral Lead", "Oasis Academy Lord's Hill",
              Email("S.Ellis-Price@Oasis.example.org"), Phone("029 2018 0644", "+442920180644")),
)

PEOPLE = (
    Person("Smith-Jones", "Kayden", dt.date(2009, 2, 1), "Male", "14 Marsh Lane, Northam, Southampton",
           "SO14 7DU", "Bitterne Park School"),
    Person("O'Neill", "Ellie-Mae", dt.date(2010, 3, 4), "Female", "Flat 3, 27 Portswood Road, Southampton",
           "SO17 2ES", "St Anne's Catholic School"),
    Person("Wiśniewska", "Zuzanna", dt.date(2008, 11, 9), "F", "112 Kingston Road, Portsmouth", "PO2 7PA",
           "Portsmouth College"),
    Person("Dos Santos", "José Miguel", dt.date(2007, 6, 12), "Boy", "9 Elm Close, Totton", "SO40 3XT",
           "Not in education"),
    Person("McAllister", "Callum James", dt.date(2011, 1, 5), "male", "Room 4, 63 Shirley High Street, Southampton",
           "SO15 3NP", "Oasis Academy Lord's Hill"),
    Person("Ahmed", "Yusuf", dt.date(2006, 9, 30), "Male", "22 Bevois Valley Road, Southampton", "SO14 0JZ",
           "Southampton City College"),
    Person("Clarke", "Zoë", dt.date(2012, 12, 1), "Girl", "5 Chapel Street, Eastleigh", "SO50 9NA",
           "Cherbourg Primary School"),
    Person("Brown", "Tyler", dt.date(2009, 7, 7), "M", "41 Hart Road, Gosport", "PO12 1HA", None),
    Person("Ní Bhriain", "Aoife", dt.date(2010, 10, 2), "Female", "Flat 12, Ocean Court, Southampton", "SO14 3JF",
           "Redbridge Community School"),
    Person("Kowalczyk", "Oliwia", dt.date(2008, 4, 3), "Female", "3 The Crescent, Romsey", "SO51 7LT", None),
    Person("Patel", "Arjun", dt.date(2007, 8, 14), "Male", "78 Northam Road, Southampton", "SO14 0PB",
           "Itchen College"),
    Person("Walker", "Jordan Lee", None, "Not known", "No fixed address, often in Hoglands Park", None, None),
)

STORIES = (
    Story(("Kayden has been seen on several evenings getting into a grey Ford Focus outside the school gates. "
           "The driver is an adult male, thought to be in his twenties.",
           "Staff have noticed he has new clothes and two mobile phones, and he has been late or absent on "
           "Mondays since January."),
          ("Grey Ford Focus, partial registration HX19.", "Adult male known as 'Dee', slim build."),
          ("If police speak to Kayden at school he may stop attending.",),
          ("Please contact me first so that school can speak to his mum before any visit.",)),
    Story(("Ellie-Mae told her form tutor that she has been staying at a friend's flat in Portswood at weekends, "
           "and that older boys are often there.",
           "Her mum says she has not been home before midnight on Fridays for about a month.",
           "Ellie-Mae knows that school is sharing this with the police."),
          ("Flat above the launderette, Portswood Road.",),
          ("Ellie-Mae has only just started talking to her tutor; she may stop if she thinks it has gone further.",
           "Her mum is worried about repercussions from the boys."),
          ("Any contact with the family to go through me.", "A joint visit with her social worker would help.")),
    Story(("Residents of Kingston Road report groups of young people gathering in the stairwell of the block most "
           "nights, with visitors arriving for a few minutes and then leaving.",
           "A neighbour believes one flat is being used by people who do not live there."),
          None,
          ("The neighbour who told us is elderly and lives alone; she does not want to be identified.",),
          ("Please do not mention the housing office as the source.",)),
    Story(("José Miguel is not in any education provision. His youth worker has seen him with large amounts of cash "
           "on two occasions.",
           "He says he does 'deliveries' for a man he calls 'Uncle' and travels by train to Bournemouth."),
          ("A man called 'Uncle', mid-thirties, drives a white Vauxhall Corsa.",),
          ("He trusts the youth project and would stop coming if he thought we had passed this on.",),
          ("Information to be used as intelligence only, not to be attributed to the project.",)),
    Story(("Callum's attendance has dropped to 62% this term. He told a teaching assistant that he owes money to an "
           "older boy.",
           "His parents say he has been coming home late with scratches on his hands."),
          None,
          ("His parents have asked school not to involve the police.",),
          ("School will let the parents know that information has been shared.",)),
    Story(("Yusuf's tutor reports that he has been leaving lessons to meet a group of men in a car park on Bevois "
           "Valley Road.",
           "He has had two different phones taken off him in class this month."),
          ("Black BMW seen in the car park on three occasions.",),
          ("Yusuf is 18 next month and may leave college if he feels watched.",),
          ("A meeting with his tutor present would be best.",)),
    Story(("Zoë's mother told the school nurse that stones have been thrown at their windows three times since they "
           "moved in, and notes have been left on their car.",
           "The family feel they are being targeted because they are new to the area."),
          ("Notes left on a blue Nissan Micra outside 5 Chapel Street.",),
          ("The family are frightened that police attention will make things worse with the neighbours.",),
          ("An unmarked car and a phone call to Zoë's mother first.",)),
    Story(("Tyler is often out after 11pm in the town centre with a group of older teenagers. Shop staff say the "
           "group has been asked to leave the shopping centre several times.",
           "Tyler's grandmother, who cares for him, says she cannot manage his behaviour."),
          None,
          ("Tyler's grandmother does not want him to know she spoke to us.",),
          ("Please speak to her at the family centre rather than at home.",)),
    Story(("Aoife has been seen working late evenings at a hand car wash on Millbrook Road with adults who appear "
           "to live on site.",
           "She told a friend that she is paid in cash and has to hand the money over to someone each night."),
          ("White Ford Transit van, collects workers at about 7pm.", "Hand car wash, Millbrook Road West."),
          ("The friend who told us could easily be identified.",),
          ("Please speak to us before any visit to the car wash.",)),
    Story(("Oliwia has missed eleven days of college since September. Her friends say she stays with an older "
           "boyfriend in Romsey who collects her from the bus station.",
           "She has recently had her hair and nails done and says the boyfriend paid."),
          ("Silver Audi A3 seen at Romsey bus station.",),
          ("Oliwia may stop speaking to her tutor if she finds out.",),
          ("Contact through her college safeguarding lead only.",)),
    Story(("Arjun told his tutor that he has been asked to hold a bag for a friend's cousin and that he is paid "
           "in trainers and phone credit.",
           "He seemed worried and asked what would happen if he said no."),
          None,
          ("Arjun is worried the cousin will find out he told anyone.",),
          ("Speak to Arjun with his tutor present, away from the college site.",)),
    Story(("Jordan has been sleeping in Hoglands Park for about two weeks. Outreach staff have seen different "
           "adults bringing him food and taking him away in cars.",
           "He will not say where he goes."),
          ("Red Peugeot 208 and a dark people carrier, both seen late evening.",),
          ("Jordan avoids outreach staff when police are nearby.",),
          ("Outreach staff can pass on a message first.",)),
)


def _person_values(i: int, person: Person, *, date_style: str, postcode_style: str) -> dict[str, Value]:
    raw: dict[str, Value | None] = {
        "surname": person.surname,
        "forenames": person.forenames,
        "date_of_birth": Date(person.date_of_birth, date_style) if person.date_of_birth else None,
        "gender": person.gender,
        "address": person.address,
        "postcode": Postcode(person.postcode, postcode_style) if person.postcode else None,
        "school_or_setting": person.school_or_setting,
    }
    return {f"subjects[{i}].{k}": v for k, v in raw.items() if v is not None}


def _fill(version: str, n: int, *, submitter: int, people: tuple[int, ...], cats: tuple[str, ...],
          consent: tuple[str | None, str | None, str | None] = ("yes", "no", "yes"), source: str | None = "told_by_subject",
          completed: dt.date, other: str | None = None, drop: tuple[str, ...] = (), footer: bool = True,
          revisions: dict[str, str] | None = None) -> Fill:
    """One case's answers; `n` varies date and postcode typing; `drop` leaves answers empty.

    The information is about the first person in `people`.
    """
    s, st = SUBMITTERS[submitter], STORIES[people[0]]
    values: dict[str, Value | None] = {
        "submitter.name": s.name,
        "submitter.role": s.role,
        "submitter.organisation": s.organisation,
        "submitter.email": s.email,
        "submitter.phone": s.phone,
        "submitter.date_completed": Date(completed, DATE_STYLES[n % len(DATE_STYLES)]),
    }
    for i, p in enumerate(people):
        values |= _person_values(i, PEOPLE[p], date_style=DATE_STYLES[(n + 2 + i) % len(DATE_STYLES)],
                                 postcode_style=POSTCODE_STYLES[(n + i) % len(POSTCODE_STYLES)])
    values |= {
        "information.text": "\n".join(st.text),
        "information.date_obtained": Date(completed - dt.timedelta(days=2 + n % 5), DATE_STYLES[(n + 4) % len(DATE_STYLES)]),
        "information.source": source,
        "information.associated_details": "\n".join(st.associated) if st.associated else None,
        "consent.subject_aware": consent[0],
        "consent.mash_referral_made": consent[1],
        "consent.may_contact_submitter": consent[2],
    }
    if version == "v3":
        values |= {"handling.risks_if_police_act": "\n".join(st.risks), "handling.mitigation": "\n".join(st.mitigation)}
    kept = {k: v for k, v in values.items() if v is not None and k not in drop}
    ticked = cats if "categories" not in drop else ()
    if other:
        ticked = (*ticked, "other")
    return Fill(version, kept, ticked, other, footer, n, revisions or {})


CSE = {"v1": "child_sexual_exploitation", "v2": "child_sexual_or_criminal_exploitation",
       "v3": "child_sexual_or_criminal_exploitation"}
CCE = {"v1": "child_criminal_exploitation", "v2": "child_sexual_or_criminal_exploitation",
       "v3": "child_sexual_or_criminal_exploitation"}


def _version_fills(v: str, k: int) -> dict[str, Fill]:
    """The nine cases of one version; `k` (0, 1, 2) shifts the pools so versions differ."""
    covid = ("covid_related",) if v != "v1" else ()
    is_v3 = v == "v3"
    return {
        "docx_template": _fill(
            v, 0 + k, submitter=(0 + k) % 9, people=((0 + k) % 9, 11) if k != 1 else ((0 + k) % 9,),
            cats=(CCE[v], "drug_related_harm"), completed=dt.date(2023 + k, 3, 2), other="Rough sleeping" if is_v3 else None,
            drop=("information.date_obtained", "information.source") if v == "v1" else
                 ("handling.mitigation",) if is_v3 else ()),
        "docx_typed": _fill(
            v, 1 + k, submitter=3 + k, people=(1 + k,),
            cats=("missing_exploited_trafficked", CSE[v], "anti_social_behaviour"), consent=("unknown", "yes", "yes"),
            source="told_by_third_party", completed=dt.date(2024, 1, 12 + k),
            drop=("submitter.email", "categories") if v == "v1" else
                 ("consent.may_contact_submitter",) if v == "v2" else (),
            footer=v != "v2"),
        "docx_legacy": _fill(
            v, 2 + k, submitter=(6 + k) % 9, people=(2 + k, 4 + k),
            cats=("community_cohesion", *covid), consent=("no", "no", "yes"), source="records",
            completed=dt.date(2022, 11, 5 + k), other="Concerns about family tension at home" if is_v3 else None,
            drop=("subjects[0].surname", "subjects[0].forenames", "subjects[0].date_of_birth") if v == "v2" else ()),
        "docx_tracked": _fill(
            v, 3 + k, submitter=(1 + 2 * k) % 9, people=(0, 5 + k) if k != 2 else (0,),
            cats=("organised_crime", CCE[v]), consent=("yes", "yes", "no"), source="first_hand",
            completed=dt.date(2025, 2, 10 + k), revisions={"subjects[0].surname": "Smyth",
                                                             "submitter.role": "Support Worker"},
            drop=("handling.risks_if_police_act",) if is_v3 else ()),
        "doc": _fill(
            v, 4 + k, submitter=(5 + k) % 9, people=((4 + k) % 12,),
            cats=("drug_related_harm", "anti_social_behaviour"), consent=("unknown", "no", "yes"), source="told_by_subject",
            completed=dt.date(2021, 7, 19 + k)),
        "pdf_form": _fill(
            v, 5 + k, submitter=(4 + k) if k != 2 else 0, people=(5 + k, 10),
            cats=("modern_day_slavery", "organised_crime", *covid), consent=("no", None, "yes") if v != "v1" else (None, None, "yes"),
            source="told_by_third_party", completed=dt.date(2024, 9, 3 + k), other="Online gaming contacts" if is_v3 else None,
            drop=("information.date_obtained",) if v == "v2" else ("submitter.email",) if is_v3 else ()),
        "pdf_text": _fill(
            v, 6 + k, submitter=(7 + k) % 9 if k != 0 else 7, people=((6 + k) % 12,) if k else (6, 9),
            cats=(CSE[v], "missing_exploited_trafficked"), consent=("yes", "yes", "yes"), source="first_hand",
            completed=dt.date(2026, 5, 28 - k), other="Rough sleeping" if is_v3 else None,
            drop=("categories", "submitter.role") if v == "v2" else ("handling.mitigation",) if is_v3 else (),
            footer=not is_v3),
        "pdf_word_export": _fill(
            v, 7 + k, submitter=(2 + 3 * k) % 9, people=((8 + k) % 12, 0) if k != 1 else ((8 + k) % 12,),
            cats=("community_cohesion", "anti_social_behaviour"), consent=("no", "no", "no"), source="records",
            completed=dt.date(2023, 10, 6 + k)),
        "pdf_scanned": _fill(
            v, 8 + k, submitter=4 + k, people=((0, 5, 7)[k],) if k != 1 else (5, 10),
            cats=("drug_related_harm", CCE[v]), consent=("unknown", "yes", "yes"), source="told_by_subject",
            completed=dt.date(2024, 6, 14 + k)),
    }


FILLS: dict[tuple[str, str], Fill] = {
    (v, fmt): fill for k, v in enumerate(("v1", "v2", "v3")) for fmt, fill in _version_fills(v, k).items()
}
