"""People: the sealed identity vault and the opposition registry."""

from serment.people.details import (
    Address,
    IdentityUnavailable,
    PersonConflict,
    PersonDetails,
    PersonRecord,
    RecordTampered,
    Registered,
    contact_email,
    contact_phone,
    person_details,
)
from serment.people.oppositions import (
    CHANNELS,
    Opposition,
    OppositionError,
    list_oppositions,
    register_opposition,
    withdraw_opposition,
)
from serment.people.records import new_ref
from serment.people.vault import (
    erase_person,
    open_person,
    read_person,
    register_all_in,
    register_in,
    register_person,
    touch_person,
    update_person,
)

__all__ = [
    "CHANNELS",
    "Address",
    "IdentityUnavailable",
    "Opposition",
    "OppositionError",
    "PersonConflict",
    "PersonDetails",
    "PersonRecord",
    "RecordTampered",
    "Registered",
    "contact_email",
    "contact_phone",
    "erase_person",
    "list_oppositions",
    "new_ref",
    "open_person",
    "person_details",
    "read_person",
    "register_all_in",
    "register_in",
    "register_opposition",
    "register_person",
    "touch_person",
    "update_person",
    "withdraw_opposition",
]
