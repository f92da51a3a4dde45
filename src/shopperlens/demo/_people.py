"""Customers, their devices and identity links (``customers`` and ``identities`` tables)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopperlens import schema
from shopperlens.demo._personas import PARAMS
from shopperlens.demo._util import (
    DAY,
    STR,
    customer_ids,
    hashed_ids,
    join,
    labels,
    padded_ids,
    salt,
    strings,
    to_timestamps,
)

# city, region, latitude, longitude, postcode area, relative population
_CITIES = (
    ("London", "London", 51.507, -0.128, "SE", 9.0),
    ("Birmingham", "West Midlands", 52.486, -1.890, "B", 1.2),
    ("Manchester", "North West", 53.481, -2.243, "M", 1.1),
    ("Leeds", "Yorkshire and the Humber", 53.801, -1.549, "LS", 0.8),
    ("Glasgow", "Scotland", 55.864, -4.252, "G", 0.7),
    ("Liverpool", "North West", 53.408, -2.992, "L", 0.6),
    ("Bristol", "South West", 51.455, -2.588, "BS", 0.6),
    ("Sheffield", "Yorkshire and the Humber", 53.381, -1.470, "S", 0.6),
    ("Edinburgh", "Scotland", 55.953, -3.189, "EH", 0.55),
    ("Newcastle upon Tyne", "North East", 54.978, -1.618, "NE", 0.45),
    ("Nottingham", "East Midlands", 52.954, -1.158, "NG", 0.4),
    ("Leicester", "East Midlands", 52.637, -1.140, "LE", 0.4),
    ("Cardiff", "Wales", 51.481, -3.179, "CF", 0.4),
    ("Belfast", "Northern Ireland", 54.597, -5.930, "BT", 0.35),
    ("Southampton", "South East", 50.910, -1.404, "SO", 0.3),
    ("Brighton", "South East", 50.823, -0.137, "BN", 0.3),
    ("Reading", "South East", 51.454, -0.978, "RG", 0.3),
    ("Oxford", "South East", 51.752, -1.258, "OX", 0.2),
    ("Cambridge", "East of England", 52.205, 0.122, "CB", 0.2),
    ("Norwich", "East of England", 52.630, 1.297, "NR", 0.2),
    ("Plymouth", "South West", 50.375, -4.143, "PL", 0.25),
    ("Exeter", "South West", 50.718, -3.534, "EX", 0.15),
    ("York", "Yorkshire and the Humber", 53.960, -1.082, "YO", 0.2),
    ("Aberdeen", "Scotland", 57.150, -2.094, "AB", 0.2),
    ("Swansea", "Wales", 51.621, -3.944, "SA", 0.2),
)
_FIRST = (
    "olivia", "amelia", "isla", "ava", "mia", "sophia", "grace", "lily", "freya", "emily",
    "ivy", "ella", "rosie", "evie", "florence", "poppy", "charlotte", "jack", "noah",
    "oliver", "leo", "george", "harry", "oscar", "archie", "henry", "charlie", "freddie",
    "theo", "thomas", "james", "william", "lucas", "mohammed", "aisha", "priya", "arjun",
    "sean", "niamh", "fiona", "callum", "ewan", "rhys", "megan", "sara", "lukas", "marta"
)
_LAST = (
    "smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "patel",
    "wright", "robinson", "thompson", "evans", "walker", "white", "roberts", "green", "hall",
    "wood", "jackson", "clarke", "khan", "lewis", "hughes", "edwards", "hill", "moore",
    "clark", "harrison", "scott", "young", "morris", "ward", "turner", "campbell", "murphy",
    "kelly", "o'brien", "macdonald", "singh", "ahmed", "nowak", "kowalski", "rossi", "garcia"
)
_DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.co.uk", "icloud.com",
            "btinternet.com", "sky.com", "example.org")
_STORE_CITY = np.sort(np.r_[np.arange(len(_CITIES)), [0] * 7, 1, 2, 2, 3, 4, 5, 6, 8])

BIRTH_MEAN, BIRTH_SD = 1980.0, 14.0  # a normal distribution of birth years


@dataclass(frozen=True)
class People:
    """Per-customer identity facts other tables reuse (names for texts, home store)."""

    ids: pa.Array
    first_name: pa.Array
    email: pa.Array
    phone: pa.Array
    city: np.ndarray
    home_store: np.ndarray
    first_customer: int = 0  # number of the first row (> 0 for later chunks of a big demo)


def people(rng: np.random.Generator, n: int, first_customer: int = 0) -> People:
    """Names, e-mail addresses, phone numbers, home city and home store of ``n`` customers.

    Customers are numbered from ``first_customer``, so chunks of one big demo never share an id or
    an e-mail address.
    """
    weights = np.array([c[5] for c in _CITIES])
    city = rng.choice(len(_CITIES), n, p=weights / weights.sum())
    first, last = rng.integers(0, len(_FIRST), n), rng.integers(0, len(_LAST), n)
    first_names, last_names = strings(_FIRST).take(first), strings(_LAST).take(last)
    # The customer number makes every address unique; the separator varies the style.
    sep = strings([".", "_", ""]).take(rng.integers(0, 3, n))
    local = join(first_names, sep, pc.replace_substring(last_names, "'", ""),
                 pc.cast(pa.array(first_customer + np.arange(1, n + 1)), STR))
    email = join(local, "@", strings(_DOMAINS).take(rng.integers(0, len(_DOMAINS), n)))
    start = np.searchsorted(_STORE_CITY, np.arange(len(_CITIES)))
    count = np.bincount(_STORE_CITY, minlength=len(_CITIES))
    home = start[city] + np.floor(rng.random(n) * count[city]).astype(np.int64)
    return People(customer_ids(first_customer + np.arange(n)), pc.utf8_capitalize(first_names),
                  email, _phones(rng, n), city, home, first_customer)


def _phones(rng: np.random.Generator, n: int) -> pa.Array:
    """UK mobile numbers, written either nationally (07...) or internationally (+44 7...)."""
    head = padded_ids("7", rng.integers(100, 1000, n), 3)
    tail = padded_ids("", rng.integers(0, 1_000_000, n), 6)
    prefix = strings(["0", "+44 "]).take((rng.random(n) < 0.3).astype(np.int64))
    return join(prefix, head, " ", tail)


def _postcodes(rng: np.random.Generator, city: np.ndarray) -> pa.Array:
    """Plausible UK postcodes (area of the city, random district and unit)."""
    n = len(city)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    unit = np.char.add(letters[rng.integers(0, 20, n)], letters[rng.integers(0, 20, n)])
    area = strings([c[4] for c in _CITIES]).take(city)
    return join(area, pc.cast(pa.array(rng.integers(1, 30, n)), STR), " ",
                pc.cast(pa.array(rng.integers(1, 10, n)), STR), pa.array(unit, type=STR))


def birth_years(rng: np.random.Generator, n: int) -> np.ndarray:
    """Birth years of adult customers (about 18 to 90 years old), the same for every persona.

    Age and gender are drawn independently of behaviour, so the demo holds no real
    difference between age bands or genders unless one is planted (``planted_bias``).
    """
    return np.clip(np.round(rng.normal(BIRTH_MEAN, BIRTH_SD, n)), 1935, 2007).astype(np.int64)


def customers(rng: np.random.Generator, who: People, traits: dict[str, np.ndarray],
              first_order: np.ndarray, consent_false: tuple[float, float],
              birth: np.ndarray) -> pa.Table:
    """The ``customers`` table: one row per customer, consent true unless drawn false."""
    n, p = len(who.city), traits["persona"]
    # Established customers often signed up long before this history begins.
    lead = np.where(PARAMS["first"][p, 0] > 500, rng.exponential(400, n), rng.exponential(12, n))
    signup = first_order - (lead * DAY).astype(np.int64) - rng.integers(60, 3600, n)
    gender = rng.choice(4, n, p=[0.52, 0.45, 0.01, 0.02])
    genders = pa.array(["female", "male", "non-binary", None], type=STR)
    geo = np.array([c[2:4] for c in _CITIES])[who.city] + rng.normal(0, 0.04, (n, 2))
    return pa.table({
        schema.CUSTOMER_ID: who.ids,
        schema.EMAIL: who.email,
        schema.PHONE: who.phone,
        schema.SIGNUP_DATE: to_timestamps(signup),
        schema.BIRTH_YEAR: birth,
        schema.GENDER: genders.take(gender),
        schema.CITY: strings([c[0] for c in _CITIES]).take(who.city),
        schema.REGION: strings([c[1] for c in _CITIES]).take(who.city),
        schema.COUNTRY: strings(["GB"]).take(np.zeros(n, np.int64)),
        schema.POSTAL_CODE: _postcodes(rng, who.city),
        schema.LATITUDE: np.round(geo[:, 0], 5),
        schema.LONGITUDE: np.round(geo[:, 1], 5),
        schema.CONSENT_PROFILING: rng.random(n) >= consent_false[0],
        schema.CONSENT_MARKETING: rng.random(n) >= consent_false[1],
    })


@dataclass(frozen=True)
class Devices:
    """Three device slots per customer: 0 = web cookie, 1 = app install, 2 = second cookie.

    ``linked`` says whether logged-in events on that device also carry its anonymous id
    (otherwise the link lives only in ``identities``).
    """

    anonymous_salt: np.uint64
    device_salt: np.uint64
    second_cookie: np.ndarray  # per customer
    linked: np.ndarray  # per slot

    def anonymous_ids(self, slots: np.ndarray) -> pa.Array:
        """The anonymous id (a UUID) of device slots (``customer * 3 + slot``); -1 = null."""
        return hashed_ids(slots, self.anonymous_salt, uuid=True, valid=slots >= 0)

    def device_ids(self, slots: np.ndarray) -> pa.Array:
        """The advertising id (an upper-case UUID) of app installs."""
        return pc.utf8_upper(hashed_ids(slots, self.device_salt, uuid=True))


def devices(rng: np.random.Generator, n: int) -> Devices:
    """Device slots of every customer: which exist and which reveal their link."""
    return Devices(salt(rng), salt(rng), rng.random(n) < 0.25, rng.random(3 * n) < 0.6)


def identities(rng: np.random.Generator, who: People, dev: Devices, used: np.ndarray,
               linked_in_events: np.ndarray, traits: dict[str, np.ndarray]) -> pa.Table:
    """Identity links: e-mail, loyalty card, app device ids, and unlinked cookies."""
    n = len(who.city)
    slot_customer = np.arange(3 * n) // 3
    card = rng.random(n) < np.where(traits["persona"] == 0, 0.95, 0.45)
    cards = np.flatnonzero(card)
    loyalty = padded_ids("LY", 100_000_000 + who.first_customer + rng.permutation(n)[cards], 9)
    apps = np.flatnonzero(used & (np.arange(3 * n) % 3 == 1))
    cookies = np.flatnonzero(used & ~linked_in_events)
    customer = np.r_[np.arange(n), cards, slot_customer[apps], slot_customer[cookies]]
    kinds = np.repeat([0, 1, 2, 3], [n, len(cards), len(apps), len(cookies)])
    table = pa.table({
        schema.CUSTOMER_ID: who.ids.take(customer),
        schema.ID_TYPE: labels(kinds, strings(["email", "loyalty_id", "device_id",
                                                "anonymous_id"])),
        schema.ID_VALUE: pa.concat_arrays([who.email, loyalty, dev.device_ids(apps),
                                           dev.anonymous_ids(cookies)]),
    })
    return table.take(np.argsort(customer, kind="stable"))
