"""Realistic demo data: Slovenian and international companies, people and activities.

Used by `crm demo` and, at a larger scale, by the benchmarks' data generator. Everything is
drawn from a seeded `random.Random`, so the same seed gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.text import search_key

FIRST_NAMES = [
    "Ana", "Boris", "Luka", "Žiga", "Špela", "Matej", "Nina", "Tjaša", "Jože", "Mojca",
    "Urška", "Črtomir", "Maja", "Nejc", "Petra", "Rok", "Sara", "Tomaž", "Vesna", "Zala",
    "Jure", "Katja", "Aleš", "Barbara", "Gašper", "Helena", "Igor", "Jerneja", "Klemen",
    "Lea", "Miha", "Neža", "Primož", "Simona", "Štefan", "Tina", "Uroš", "Vid", "Živa",
    "Emma", "Lukas", "Sofia", "Marco", "Chloé", "José", "Zoë", "Oliver", "Ingrid", "Đorđe",
]
LAST_NAMES = [
    "Novak", "Horvat", "Kovačič", "Krajnc", "Zupančič", "Potočnik", "Kovač", "Mlakar",
    "Kos", "Vidmar", "Golob", "Turk", "Božič", "Kralj", "Zupan", "Bizjak", "Hribar",
    "Korošec", "Rozman", "Kotnik", "Oblak", "Petek", "Žagar", "Kolar", "Černe", "Česnik",
    "Šinkovec", "Pečnik", "Medved", "Jereb", "Müller", "Rossi", "García", "Dubois",
    "Schmidt", "Kovačević", "Nowak", "Jovanović", "Ødegaard", "O'Brien",
]
COMPANY_STEMS = [
    "Lesnina", "Kovinar", "Alpetour", "Soča", "Triglav", "Kras", "Pohorje", "Lipa",
    "Brinje", "Jelka", "Sava", "Drava", "Mura", "Krka", "Bled", "Piran", "Gorenje",
    "Vipava", "Javor", "Bukev", "Čebelica", "Žerjav", "Škorpijon", "Snežnik", "Nanos",
]
COMPANY_KINDS = ["d.o.o.", "d.d.", "s.p.", "GmbH", "S.r.l.", "Ltd"]
COMPANY_TRADES = ["Trgovina", "Gradnje", "Servis", "Svetovanje", "Informatika", "Logistika"]
FREE_MAIL = ["gmail.com", "siol.net", "t-2.net", "outlook.com", "yahoo.com", "gmx.de"]
ROLE_LOCAL_PARTS = ["info", "office", "prodaja", "kontakt", "sales", "podpora"]
TAGS = ["stranka", "dobavitelj", "partner", "sejem 2024", "VIP", "newsletter"]
# (street, postcode and town, country or None for Slovenia), for postal addresses
STREETS_SI = ["Čopova ulica", "Šmartinska cesta", "Žabjak", "Trg svobode", "Cesta v Mestni log",
              "Ulica Ivana Regna", "Koroška cesta", "Pražakova ulica", "Ulica heroja Šaranovića"]
TOWNS_SI = ["1000 Ljubljana", "2000 Maribor", "3000 Celje", "4000 Kranj", "5000 Nova Gorica",
            "6000 Koper - Capodistria", "8000 Novo mesto", "9000 Murska Sobota", "4260 Bled",
            "1290 Grosuplje", "3320 Velenje", "2250 Ptuj", "6320 Portorož - Portorose"]
ABROAD = [
    ("Hauptstraße", "8010 Graz", "Österreich"), ("Mariahilfer Straße", "1060 Wien", "Österreich"),
    ("Via Roma", "34121 Trieste", "Italia"), ("Ilica", "10000 Zagreb", "Hrvatska"),
    ("Königstraße", "70173 Stuttgart", "Deutschland"), ("Rue de Lausanne", "1201 Genève",
                                                          "Suisse"),
    ("Váci utca", "1052 Budapest", "Magyarország"), ("Kneza Miloša", "11000 Beograd", "Srbija"),
]
ACTIVITY_SUBJECTS = {
    "meeting": ["Sestanek o ponudbi", "Predstavitev izdelka", "Letni pregled pogodbe"],
    "call": ["Klic glede reklamacije", "Dogovor o dobavi", "Follow-up call"],
    "email": ["Poslana ponudba", "Vprašanje o računu", "Quote sent"],
    "note": ["Opomba s sejma", "Interna opomba", "Zahteva za dokumentacijo"],
    "task": ["Pripravi pogodbo", "Pošlji katalog", "Preveri plačilo"],
}


def ascii_slug(text: str) -> str:
    """Turn a name into a plain address part: `Žiga Černe` -> `ziga.cerne`."""
    return ".".join(part for part in search_key(text).replace("'", "").split() if part)


@dataclass
class DemoCompany:
    """A generated company."""

    name: str
    domain: str
    phone: str
    vat_id: str


@dataclass
class DemoContact:
    """A generated person (or role address) at a company or with a free-mail address."""

    first_name: str
    last_name: str
    email: str
    phone: str
    company_index: int | None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None


def companies(rng: random.Random, count: int) -> list[DemoCompany]:
    """Return `count` companies with unique names and domains."""
    result: list[DemoCompany] = []
    seen: set[str] = set()
    while len(result) < count:
        stem = rng.choice(COMPANY_STEMS)
        trade = rng.choice(COMPANY_TRADES)
        kind = rng.choice(COMPANY_KINDS)
        suffix = "" if len(seen) < len(COMPANY_STEMS) * 2 else f" {len(result)}"
        name = f"{stem} {trade}{suffix} {kind}"
        if name in seen:
            continue
        seen.add(name)
        domain = f"{ascii_slug(stem + ' ' + trade + suffix).replace('.', '-')}.si"
        phone = (
            f"+386 {rng.randint(1, 7)} {rng.randint(100, 999)} "
            f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
        )
        vat_id = f"SI{rng.randint(10000000, 99999999)}"
        result.append(DemoCompany(name=name, domain=domain, phone=phone, vat_id=vat_id))
    return result


def contacts(
    rng: random.Random, count: int, company_list: list[DemoCompany]
) -> Iterator[DemoContact]:
    """Yield `count` contacts with unique addresses: most at a company, some on free mail,
    about one in twelve a role address such as `info@firma.si`."""
    used: set[str] = set()
    made = 0
    while made < count:
        company_index = rng.randrange(len(company_list)) if rng.random() < 0.8 else None
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = (
            company_list[company_index].domain
            if company_index is not None
            else rng.choice(FREE_MAIL)
        )
        if company_index is not None and rng.random() < 0.08:
            # a role address is listed under the department and the company it reaches
            local = rng.choice(ROLE_LOCAL_PARTS)
            first, last = local.capitalize(), company_list[company_index].name
        else:
            local = ascii_slug(f"{first} {last}")
        email = f"{local}@{domain}"
        if email in used:
            email = f"{local}{made}@{domain}"
            if email in used:
                continue
        used.add(email)
        tags = rng.sample(TAGS, k=rng.choice([0, 0, 1, 1, 2]))
        mobile = rng.choice(["31", "40", "41", "51", "70"])
        phone = f"+386 {mobile} {rng.randint(100, 999)} {rng.randint(100, 999)}"
        notes = rng.choice([None, None, "Srečala sva se na sejmu.", "Prefers e-mail."])
        yield DemoContact(first, last, email, phone, company_index, tags, notes)
        made += 1


def postal_address(rng: random.Random, abroad_share: float = 0.2) -> str:
    """Return a postal address on two lines: mostly Slovenian (`Čopova ulica 14` /
    `1000 Ljubljana`), `abroad_share` of them in a neighbouring country, with the country
    on a third line."""
    number = f"{rng.randint(1, 120)}{rng.choice(['', '', '', 'a', 'b'])}"
    if rng.random() < abroad_share:
        street, town, country = rng.choice(ABROAD)
        return f"{street} {number}\n{town}\n{country}"
    return f"{rng.choice(STREETS_SI)} {number}\n{rng.choice(TOWNS_SI)}"


def activity_moment(rng: random.Random, now: datetime, days_back: int = 730) -> datetime:
    """Return a random instant within the last `days_back` days, during office hours."""
    moment = now - timedelta(days=rng.randint(0, days_back))
    return moment.replace(hour=rng.randint(7, 16), minute=rng.choice([0, 15, 30, 45]),
                          second=0, microsecond=0)
