"""Synthetic operative notes with planted identifiers, for the PHI-masking bar.

Every note carries identifiers of every kind the masker must remove (names, MRN, account
numbers, dates, phone and fax, e-mail, street address, age over 89, URL, SSN, other IDs),
written in varied styles and positions (header block, flat export, narrative, signature), around
clinical text full of words that must survive (eponyms, anatomy, drugs, organisms). All names,
numbers and places are made up from the pools below; a seeded generator makes the same notes
every run.

    .venv/bin/python eval/privacy/planted_notes.py --out /tmp/planted --count 200   # write notes
    .venv/bin/python eval/privacy/planted_notes.py --measure                       # print figures
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

FIRST = [
    "Harold",
    "Margaret",
    "Deshawn",
    "Priya",
    "José",
    "Ngozi",
    "Wei",
    "Siobhan",
    "Tomasz",
    "Fatima",
    "Kwame",
    "Ingrid",
    "Rafael",
    "Yuki",
    "Leonard",
    "Beatriz",
    "Olusegun",
    "Agnieszka",
    "Mateo",
    "Zoë",
    "Jean-Baptiste",
    "Thandiwe",
    "Giovanni",
    "Anneliese",
    "Dmitri",
    "Lakshmi",
    "Cornelius",
    "Rosalind",
    "Ezekiel",
]
LAST = [
    "Whitfield",
    "Okonkwo",
    "Castellanos",
    "Nakamura",
    "O'Sullivan",
    "McAllister",
    "Van der Berg",
    "Abernathy",
    "Lindqvist",
    "Baptiste-Moreau",
    "Hargreaves",
    "Szymański",
    "Delacroix",
    "Ferreira",
    "Quigley",
    "Mbeki",
    "Thorvaldsen",
    "Pellegrino",
    "Oyelaran",
    "Kowalczyk",
    "Ashworth",
    "Nguyen",
    "Fairbanks",
    "Petrosyan",
    "Rutherford",
    "Zielinski",
    "Ocampo",
    "Blackwood",
    "Núñez",
    "de la Cruz",
    "Mary-Kate Dunleavy",
]
STREETS = ["Elm", "Maple Ridge", "Harborview", "Old Mill", "Juniper", "Cedar Hollow", "Wexford", "Lakeshore"]
SUFFIXES = ["Street", "St.", "Avenue", "Ave", "Road", "Lane", "Drive", "Court", "Boulevard", "Way"]
CITIES = [
    ("Springfield", "IL"),
    ("Fairview", "OH"),
    ("Riverton", "WY"),
    ("Greenville", "SC"),
    ("Salem", "OR"),
]
DOMAINS = ["mercyvalley", "stlukeshealth", "northshoremed", "harborclinic", "lakesidehospital"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # fmt: skip

# Words that must reach the LLM: eponyms, anatomy, drugs, organisms (as the templates write them).
CLINICAL_WORDS = [
    "Fournier",
    "Scarpa",
    "Colles",
    "Buck",
    "Bartholin",
    "Meleney",
    "dartos",
    "scrotum",
    "perineum",
    "penile",
    "labia",
    "vulva",
    "fascia",
    "subcutaneous",
    "gangrene",
    "necrotizing",
    "debridement",
    "piperacillin-tazobactam",
    "vancomycin",
    "clindamycin",
    "meropenem",
    "Dakin",
    "Zosyn",
    "Escherichia coli",
    "Bacteroides fragilis",
    "Streptococcus pyogenes",
    "Clostridium perfringens",
    "MRSA",
    "Klebsiella",
    "Foley",
    "Kerlix",
    "Metzenbaum",
    "Vicryl",
    "Bovie",
    # numbers the coding depends on or a reader needs: not identifiers
    "18 x 12 cm",
    "216 sq cm",
    "EBL 200 mL",
    "T 101.3 F",
    "HR 124",
    "BP 90/60",
    "WBC 27.4",
    "lactate 4.1",
    "glucose 412",
    "#10 blade",
    "PGY-4",
    "24 hours",
    "CPT 11004",
    "N49.3",
]

KINDS = ("NAME", "MRN", "ACCOUNT", "DATE", "PHONE", "FAX", "EMAIL", "ADDRESS", "AGE", "URL", "SSN", "ID")


@dataclass
class PlantedNote:
    id: str
    text: str
    planted: dict[str, list[str]] = field(default_factory=dict)  # kind -> identifiers as written


class _Plant:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.planted: dict[str, list[str]] = {k: [] for k in KINDS}

    def add(self, kind: str, value: str) -> str:
        self.planted[kind].append(value)
        return value

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def person(self) -> tuple[str, str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        return first, last, self.rng.choice("ABCDEFGHJKLMNPRSTW")

    def date(self) -> str:
        y, m, d = self.rng.randint(2019, 2025), self.rng.randint(1, 12), self.rng.randint(1, 28)
        mon = MONTHS[m - 1]
        nth = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(d, "th")
        styles = [
            f"{m:02d}/{d:02d}/{y}",
            f"{m}/{d}/{y % 100:02d}",
            f"{y}-{m:02d}-{d:02d}",
            f"{mon} {d}, {y}",
            f"{d} {mon[:3]} {y}",
            f"{d:02d}-{mon[:3].upper()}-{y}",
            f"{mon[:3]} {d}{nth}",
            f"{d:02d}{mon[:3].upper()}{y}",
            f"{d}{nth} of {mon} {y}",
            f"{mon[:3]}. {d}, {y}",
            f"{y}/{m:02d}/{d:02d}",
            f"{d:02d}.{m:02d}.{y}",
            f"{m:02d}-{d:02d}-{y}",
            f"{mon.upper()} {d}, {y}",
        ]
        text = styles[self.rng.randrange(len(styles))]
        return self.add("DATE", text)

    def phone(self, kind: str = "PHONE") -> str:
        a, b, c = f"{self.rng.randint(201, 989)}", f"{self.rng.randint(210, 989)}", self.digits(4)
        styles = [
            f"({a}) {b}-{c}",
            f"{a}-{b}-{c}",
            f"{a}.{b}.{c}",
            f"+1 {a} {b} {c}",
            f"{a}-{b}-{c} ext. 2{self.digits(2)}",
            f"{a}{b}{c}",
            f"({a}){b}-{c}",
            f"1-{a}-{b}-{c}",
            f"{a} {b} {c}",
        ]
        text = styles[self.rng.randrange(len(styles))]
        return self.add(kind, text)

    def email(self, first: str, last: str) -> str:
        user = re.sub(r"[^a-z]", "", (first[0] + last).lower()) + self.digits(2)
        address = f"{user}@{self.rng.choice(DOMAINS)}.{self.rng.choice(['org', 'com', 'net'])}"
        return self.add("EMAIL", address.upper() if self.rng.random() < 0.2 else address)

    def address(self) -> str:
        city, state = self.rng.choice(CITIES)
        unit = self.rng.choice(["", f", Apt {self.rng.randint(1, 40)}{self.rng.choice('ABC')}"])
        direction = self.rng.choice(["", "", "N. ", "West ", "S "])
        street = (
            f"{self.rng.randint(3, 9800)} {direction}{self.rng.choice(STREETS)} {self.rng.choice(SUFFIXES)}"
        )
        if self.rng.random() < 0.2:
            street = f"P.O. Box {self.rng.randint(10, 9999)}"
            unit = ""
        return self.add("ADDRESS", f"{street}{unit}, {city}, {state} {self.digits(5)}")

    def url(self) -> str:
        d = self.rng.choice(DOMAINS)
        styles = [
            f"https://portal.{d}.org/chart/{self.digits(6)}",
            f"www.{d}.com/patients",
            f"{d}.org/records?id={self.digits(5)}",
            f"http://intranet.{d}.local/pt?mrn={self.digits(7)}",
            f"HTTPS://{d.upper()}.NET/MYCHART",
        ]
        return self.add("URL", styles[self.rng.randrange(len(styles))])

    def ssn(self) -> str:
        a, b, c = self.rng.randint(100, 665), self.rng.randint(10, 99), self.digits(4)
        return self.add("SSN", self.rng.choice([f"{a}-{b}-{c}", f"{a} {b} {c}", f"{a}{b}{c}"]))

    def age(self) -> tuple[str, str]:
        """(the age as written, the phrase around it)."""
        n = self.rng.randint(90, 104)
        if self.rng.random() < 0.15:
            tens = {90: "ninety", 100: "one hundred"}[n // 10 * 10 if n < 100 else 100]
            ones = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][
                n % 10 if n < 100 else n - 100
            ]
            spelled = f"{tens}-{ones}" if ones and n < 100 else f"{tens} and {ones}" if ones else tens
            return self.add("AGE", spelled), f"{spelled}-year-old"
        age = self.add("AGE", str(n))
        return age, self.rng.choice(
            [f"{age}-year-old", f"{age} y/o", f"{age} yo", f"{age} years old", f"{age}yo"]
        )


def _header(p: _Plant, patient: tuple[str, str, str]) -> str:
    first, last, mi = patient
    mrn = p.add(
        "MRN", p.rng.choice([p.digits(8), f"A{p.digits(7)}", f"00{p.digits(6)}", f"MR-{p.digits(6)}"])
    )
    acct = p.add("ACCOUNT", p.rng.choice([p.digits(10), f"E{p.digits(8)}", f"{p.digits(4)}-{p.digits(6)}"]))
    dob, dos = p.date(), p.date()
    style = p.rng.randrange(4)
    if style == 0:
        name = p.add("NAME", f"{last.upper()}, {first.upper()} {mi}")
        return f"PATIENT: {name}   MRN: {mrn}   DOB: {dob}\nACCT #: {acct}   DATE OF SERVICE: {dos}\n"
    if style == 1:
        name = p.add("NAME", f"{first} {last}")
        return (
            f"Patient Name: {name}\nMedical Record Number: {mrn}\nDate of Birth: {dob}\n"
            f"Account No. {acct}\nDate of Surgery: {dos}\n"
        )
    if style == 2:
        name = p.add("NAME", f"{last}, {first} {mi}.")
        return f"Pt Name: {name} | MR# {mrn} | FIN {acct} | DOS {dos} | DOB {dob}\n"
    name = p.add("NAME", f"{first} {mi}. {last}")
    return f"Name: {name}\nMRN {mrn}   Encounter #: {acct}\nDOB: {dob}   Admitted: {dos}\n"


def _team(p: _Plant) -> tuple[str, str, str]:
    s_first, s_last, s_mi = p.person()
    a_first, a_last, _ = p.person()
    n_first, n_last, _ = p.person()
    surgeon = p.add("NAME", p.rng.choice([f"{s_first} {s_last}", f"{s_first} {s_mi}. {s_last}"]))
    assistant = p.add("NAME", f"{a_first} {a_last}")
    anesthetist = p.add("NAME", f"{n_first} {n_last}")
    style = p.rng.randrange(3)
    if style == 0:
        block = f"SURGEON: {surgeon}, MD\nASSISTANT: {assistant}, PA-C\nANESTHESIOLOGIST: Dr. {anesthetist}\n"
    elif style == 1:
        block = f"Surgeon: Dr. {surgeon}\nAssistant: {assistant}, MD (resident)\nAnesthesia provider: {anesthetist}, CRNA\n"
    else:
        block = (
            f"Attending surgeon: {surgeon}, MD, FACS. First assistant: {assistant}. CRNA: {anesthetist}.\n"
        )
    return block, s_last, surgeon


_BODIES = [
    (
        "PREOPERATIVE DIAGNOSIS: Fournier's gangrene of the scrotum and perineum.\n"
        "POSTOPERATIVE DIAGNOSIS: Same, necrotizing fasciitis extending along Colles fascia.\n"
        "PROCEDURE: Excisional debridement of the scrotum and perineum, skin, subcutaneous tissue and fascia.\n"
    ),
    (
        "PRE-OP DX: Necrotizing soft tissue infection of the vulva and left labia majora, Bartholin abscess.\n"
        "POST-OP DX: Necrotizing fasciitis of the vulva and perineum (Meleney's synergistic gangrene).\n"
        "PROCEDURE: Radical excisional debridement of vulva, labia and perineum including fascia.\n"
    ),
    (
        "DIAGNOSIS: Fournier gangrene of the penile shaft and scrotum with extension to Scarpa's fascia.\n"
        "OPERATION: Sharp excisional debridement of penile and scrotal skin, dartos and Buck's fascia.\n"
    ),
]

_NARRATIVE = [
    "On {date}, Dr. {surgeon_last} excised the necrotic dartos fascia of the scrotum with Metzenbaum scissors.",
    "{patient_title} {patient_last} was brought to the operating room and placed in lithotomy; a Foley catheter was placed.",
    "Necrotic skin, subcutaneous tissue and Colles fascia of the perineum were sharply excised to bleeding tissue; Buck's fascia was preserved.",
    "Gram stain later grew Escherichia coli, Bacteroides fragilis and Streptococcus pyogenes; Clostridium perfringens was not seen. MRSA screen negative.",
    "The wound was irrigated with Dakin's solution and packed with Kerlix; Bovie cautery for hemostasis; 3-0 Vicryl to the skin edges only.",
    "Antibiotics: piperacillin-tazobactam (Zosyn), vancomycin, clindamycin; meropenem if Klebsiella is isolated.",
    "Vitals: T 101.3 F, HR 124, BP 90/60; WBC 27.4, lactate 4.1, glucose 412. EBL 200 mL.",
    "The wound measured 18 x 12 cm (216 sq cm) after debridement with a #10 blade; billed as CPT 11004 with N49.3.",
    "Dr. {surgeon_last} discussed the findings with the patient's daughter {relative} at {phone}.",
]


def planted_note(i: int, seed: int = 11) -> PlantedNote:
    rng = random.Random(seed * 100_003 + i)
    p = _Plant(rng)
    patient = p.person()
    first, last, _ = patient
    header = _header(p, patient)
    team, surgeon_last, surgeon = _team(p)
    rel_first, _, _ = p.person()
    relative = p.add("NAME", rel_first)
    age, age_phrase = p.age()
    sex = rng.choice([("male", "Mr."), ("female", "Mrs."), ("female", "Ms.")])
    indication = (
        f"INDICATIONS: {first} {last} is a {age_phrase} {sex[0]} with diabetes and septic shock "
        f"from a necrotizing infection of the perineum first seen on {p.date()}.\n"
    )
    if rng.random() < 0.5:  # the name recurs bare in the narrative: caught because it was found in the header
        indication += f"{first} consented to debridement and possible orchiectomy.\n"
    narrative = [
        s.format(
            date=p.date(),
            surgeon_last=surgeon_last,
            patient_title=sex[1],
            patient_last=last,
            relative=relative,
            phone=p.phone(),
        )
        if "{phone}" in s or "{date}" in s
        else s.format(surgeon_last=surgeon_last, patient_title=sex[1], patient_last=last, relative=relative)
        for s in _NARRATIVE
    ]
    rng.shuffle(narrative)
    lot = p.add("ID", f"LT{p.digits(6)}")
    serial = p.add("ID", f"SN-{p.digits(5)}-{rng.choice('ABCDEF')}")
    insurance = p.add("ACCOUNT", f"XJ{p.digits(7)}")
    address = p.address()
    lives = rng.choice(
        [
            f"Patient address: {address}.",
            f"Lives at {address} with family.",
            f"Home: {address}.",
            f"Discharge to {address}.",
        ]
    )
    contact = (
        f"{lives} Home phone {p.phone()}; fax results to {p.phone('FAX')}.\n"
        f"Patient e-mail: {p.email(first, last)}. Portal: {p.url()}\n"
        f"SSN: {p.ssn()}. Insurance ID: {insurance}. Mesh lot #: {lot}; device serial no. {serial}.\n"
    )
    age_line = rng.choice([f"Age: {age}", f"aged {age}", f"age {age}"]) if age.isdigit() else age_phrase
    staff = []
    for _ in range(2):
        f, last, _mi = p.person()
        staff.append(
            rng.choice(
                [
                    f"Referring physician: Dr. {p.add('NAME', f'{f} {last}')}.",
                    f"cc: {p.add('NAME', f'{f} {last}')}, MD",
                    f"Case discussed with Dr. {p.add('NAME', last)}.",
                    f"Circulating RN: {p.add('NAME', f'{f} {last}')}.",
                    f"Scrub tech: {p.add('NAME', f'{f} {last}')}.",
                    f"Resident: {p.add('NAME', f'{f} {last}')} (PGY-4).",
                    f"Interpreter: {p.add('NAME', f'{f} {last}')} (Spanish).",
                    f"Seen by {p.add('NAME', f'{f} {last}')}, NP.",
                ]
            )
        )
    signature = rng.choice(
        [
            f"Electronically signed by: {surgeon}, MD on {p.date()} 14:22",
            f"/s/ {surgeon}, MD {p.date()}",
            f"Dictated by: {surgeon}. Transcribed on {p.date()}.",
        ]
    )
    parts = [
        "OPERATIVE REPORT\n",
        header,
        team,
        rng.choice(_BODIES),
        indication,
        f"({age_line})\n",
        "DESCRIPTION OF PROCEDURE: " + " ".join(narrative) + "\n",
        contact,
        " ".join(staff) + "\n",
        "PLAN: Return to the OR in 24 hours for a second look; continue Zosyn and vancomycin.\n",
        signature + "\n",
    ]
    if rng.random() < 0.5:  # varied position: contact block near the top
        parts.insert(2, parts.pop(7))
    text = "".join(parts)
    planted = {k: sorted(set(v)) for k, v in p.planted.items()}
    return PlantedNote(id=f"planted-{i:03d}", text=text, planted=planted)


def planted_notes(count: int = 200, seed: int = 11) -> list[PlantedNote]:
    return [planted_note(i, seed) for i in range(count)]


def occurrences(identifier: str, kind: str, text: str) -> list[tuple[int, int]]:
    """Where an identifier is written in a note: the whole string, and for a name each of its
    words (wherever the note repeats it); for an age, the number as a number."""
    if kind == "NAME":
        words = [w for w in re.split(r"[\s,.]+", identifier) if len(w) >= 2]
        pattern = "|".join(rf"(?<![\w'’-]){re.escape(w)}(?![\w])" for w in words)
        return [m.span() for m in re.finditer(pattern, text, re.IGNORECASE)]
    if kind == "AGE":
        return [m.span() for m in re.finditer(rf"(?<![\d/.:-]){identifier}(?![\d/.:%-])", text)]
    return [m.span() for m in re.finditer(re.escape(identifier), text)]


def leaked(identifier: str, kind: str, text: str, spans: list[tuple[int, int]]) -> bool:
    """An identifier leaks when any place the note writes it is not wholly inside masked spans."""
    return any(
        not any(s <= start and end <= e for s, e in spans)
        for start, end in occurrences(identifier, kind, text)
    )


def appears(identifier: str, kind: str, sent: str) -> bool:
    """Whether text that left the process (a prompt, a recorded request) holds the identifier:
    the whole string, a name word, or any run of four or more of its digits."""
    if kind == "AGE":  # a bare "90" may be a blood pressure: only an age written as an age counts
        return (
            re.search(
                rf"(?<![\d\w]){identifier}(?=[ -]?(?:year|y/o|yo))|\b(?:age:?|aged) {identifier}(?!\d)",
                sent,
                re.I,
            )
            is not None
        )
    if identifier in sent:
        return True
    if kind == "NAME":
        return bool(occurrences(identifier, kind, sent))
    runs = [r for r in re.findall(r"\d+", identifier) if len(r) >= 4]
    return any(re.search(rf"(?<!\d){r}(?!\d)", sent) for r in runs)


def clinical_words_masked(text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """(occurrences of CLINICAL_WORDS in the note, how many of them a masked span touches)."""
    total = masked = 0
    for word in CLINICAL_WORDS:
        for m in re.finditer(re.escape(word), text):
            total += 1
            masked += any(s < m.end() and m.start() < e for s, e in spans)
    return total, masked


def measure(count: int = 200) -> dict[str, object]:
    from reviewer.privacy import mask

    notes = planted_notes(count)
    per_kind: dict[str, int] = dict.fromkeys(KINDS, 0)
    leaks: list[str] = []
    clinical_total = clinical_masked = 0
    for note in notes:
        m = mask(note.text)
        spans = [(s.start, s.end) for s in m.spans]
        for kind, values in note.planted.items():
            per_kind[kind] += len(values)
            leaks += [
                f"{note.id} {kind} {v!r} (not masked)" for v in values if leaked(v, kind, note.text, spans)
            ]
            leaks += [
                f"{note.id} {kind} {v!r} (in the masked text)" for v in values if appears(v, kind, m.text)
            ]
        t, c = clinical_words_masked(note.text, spans)
        clinical_total += t
        clinical_masked += c
    return {
        "notes": len(notes),
        "identifiers_per_kind": per_kind,
        "identifiers": sum(per_kind.values()),
        "leaked": len(leaks),
        "leaked_where": leaks[:30],
        "clinical_words": clinical_total,
        "clinical_words_masked": clinical_masked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--out", type=Path, help="write NOTE.txt and NOTE.planted.json files here")
    parser.add_argument("--measure", action="store_true", help="mask every note and print the figures")
    args = parser.parse_args()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for note in planted_notes(args.count):
            (args.out / f"{note.id}.txt").write_text(note.text, "utf-8")
            (args.out / f"{note.id}.planted.json").write_text(json.dumps(note.planted, indent=1), "utf-8")
        print(f"wrote {args.count} notes to {args.out}")
    if args.measure:
        print(json.dumps(measure(args.count), indent=2))


if __name__ == "__main__":
    main()
