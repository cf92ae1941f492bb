"""Section policy: which sections of a note tell what was done and found at this operation.
The sectionizer (note.py) names the sections; this module says what each name means."""

from __future__ import annotations

from reviewer.findings import Assertion

# Sections whose words describe something other than today's procedure.
NOT_TODAY = frozenset({"risks", "history", "family_history", "plan"})
# Sections that narrate what was done and found in the operating room today ("body": a note
# without headers; "other": an unknown "Key: value" field after short fields).
OPERATIVE = frozenset(
    {"procedure", "description", "findings", "body", "other", "wound_care", "specimens", "drains"}
)
# The narrative of the operation: what was done and found, as opposed to its title.
NARRATIVE = OPERATIVE - {"procedure"}
# Where an NSTI mention is the surgeon's conclusion about today's operation.
CONFIRMING = OPERATIVE | {"postoperative_diagnosis", "assessment"}
# Where a technique tells the day's procedure: progress notes report it under S: ("second
# look, wound debrided").
TECHNIQUE = OPERATIVE | {"hpi"}
# Where a site named with a treating technique was treated: progress notes' S: and A:.
TREATED_IN_SUMMARY = frozenset({"hpi", "assessment"})
# Written before today's operation: an "s/p debridement" there, or a procedure named there, is
# an earlier one.
BEFORE_TODAY = frozenset({"preoperative_diagnosis", "indications", "hpi", "procedure"})
EARLIER = frozenset({"history", "preoperative_diagnosis", "indications", "hpi"})
# Where a "planned second look" names today's operation rather than a later one.
NAMING_TODAY = frozenset({"procedure", "preoperative_diagnosis", "indications"})
# A finding in these sections is not today's, whatever its sentence says.
SECTION_ASSERTION = {
    "risks": Assertion.hypothetical,
    "history": Assertion.historical,
    "family_history": Assertion.other_person,
}
