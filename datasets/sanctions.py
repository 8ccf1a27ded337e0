"""Registry import: vessels from public sanctions lists (OFAC SDN, UN consolidated list), merged by IMO."""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tankerwatch.datasets.registry import COLUMNS, DIMENSION_COLUMNS, imo_check_digit_ok
from tankerwatch.io import atomic_write_text
from tankerwatch.schema import TankerwatchError, Vessel

OFAC_COLUMNS: tuple[str, ...] = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type", "Tonnage", "GRT", "Vess_flag",
    "Vess_owner", "Remarks",
)
OFAC_EMPTY = "-0-"  # sdn.csv writes '-0- ' for an empty field
OFAC_CODE = "OFAC-SDN"
OFAC_REG_ID = "Vessel Registration Identification"
# OFAC's Tonnage field is not labelled; where checked against trade press it was the deadweight
OFAC_TONNAGE_NOTE = "dwt is OFAC's Tonnage field (deadweight where checked)"
# UN sanctions regimes by their committee's founding resolution; other list types become 'UN-<type>'
UN_CODES: dict[str, str] = {
    "DPRK": "UN-1718", "Al-Qaida": "UN-1267", "Taliban": "UN-1988", "Libya": "UN-1970", "Iraq": "UN-1518",
    "Somalia": "UN-751", "DRC": "UN-1533", "Sudan": "UN-1591", "CAR": "UN-2127", "Yemen": "UN-2140",
    "South Sudan": "UN-2206", "Mali": "UN-2374",
}

_DIGITS_RE = re.compile(r"[0-9]+")
_IMO_RE = re.compile(r"[0-9]{7}")
_OFAC_IMO_RE = re.compile(OFAC_REG_ID + r"\s+IMO\s+([0-9]+)")
_OFAC_REG_ID_RE = re.compile(OFAC_REG_ID + r"\s+([^;]+?)\.?\s*(?:;|$)")
_ALIAS_RE = re.compile(r"\b([af]\.k\.a\.)\s*'([^']+)'")
_IMO_IN_TEXT_RE = re.compile(r"\bIMO\)?(?:\s+number)?\s*:?\s*([0-9]{7})\b", re.IGNORECASE)
_COMPANY_BEFORE_RE = re.compile(r"company\s+(?:number\s*)?$", re.IGNORECASE)
# shipping companies carry IMO company numbers, some of which pass the ship check digit (OMM's 1790183)
_ORGANISATION_RE = re.compile(
    r"\b(?:company|co|ltd|limited|corp|corporation|inc|llc|jv|group|shipping|trading|management|bank|department)\b",
    re.IGNORECASE,
)


@dataclass
class ListedVessel:
    """One vessel record as a list or table gives it, before records are merged by IMO."""

    source: str  # where the record came from, cited in the registry notes
    name: str
    imo: str | None  # None when the record has no valid IMO number
    problem: str = ""  # why imo is None
    vessel_type: str = ""
    flag: str = ""
    sanctions: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()  # the list's own programme tags (e.g. OFAC DPRK3), for the programme filter
    sizes: dict[str, float] = field(default_factory=dict)  # any of DIMENSION_COLUMNS
    size_notes: dict[str, str] = field(default_factory=dict)  # caveat on a size, by column
    aliases: tuple[tuple[str, str], ...] = ()  # (kind, name), e.g. ("f.k.a.", "SAM 5")


@dataclass
class SourceReport:
    """What one input file gave: records read, those kept, and those skipped with the reason."""

    path: Path
    kind: str
    records: int = 0
    outside_programs: int = 0
    with_imo: int = 0
    skipped: list[str] = field(default_factory=list)
    company_numbers: int = 0  # UN entities whose IMO number is a company's, not a ship's
    unlisted: int = 0  # dimensions rows for an IMO that no list names


@dataclass
class ImportResult:
    """The merged registry and a report per input file."""

    vessels: list[Vessel]
    sources: list[SourceReport]


def _file_text(path: Path, what: str) -> str:
    """The text of an input file; a missing file is a one-line TankerwatchError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise TankerwatchError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise TankerwatchError(f"{path}: is a folder, expected a {what}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # a list re-saved by a spreadsheet on Windows is cp1252; names stay readable either way
        return data.decode("cp1252", errors="replace")


def _csv_records(path: Path, what: str) -> list[tuple[int, list[str]]]:
    """CSV records of a file with the 1-based line each starts on."""
    reader = csv.reader(io.StringIO(_file_text(path, what), newline=""))
    rows, line = [], 1
    try:
        for record in reader:
            rows.append((line, record))
            line = reader.line_num + 1  # a quoted field may span lines
    except csv.Error as e:
        raise TankerwatchError(f"{path}:{reader.line_num}: malformed CSV ({e})") from None
    return rows


def _xml_root(path: Path, what: str, root_tag: str) -> ET.Element:
    """The root element of an XML list, namespaces stripped from every tag."""
    try:
        root = ET.fromstring(_file_text(path, what))
    except ET.ParseError as e:
        raise TankerwatchError(f"{path}: not XML ({e})") from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    if root.tag != root_tag:
        raise TankerwatchError(f"{path}: root element is <{root.tag}>, expected <{root_tag}> ({what})")
    return root


def _text(element: ET.Element | None, tag: str) -> str:
    """Stripped text of a child element; empty when absent."""
    child = element.find(tag) if element is not None else None
    return " ".join((child.text or "").split()) if child is not None else ""


def _positive_number(value: str) -> float | None:
    """A positive size or tonnage from list text such as '10,030'; None when empty or not a positive number."""
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _checked_imo(candidate: str, raw_id: str = "") -> tuple[str | None, str]:
    """A valid IMO number, or None and why the record has none."""
    if not candidate:
        return None, f"registration id {raw_id!r} is not marked IMO" if raw_id else "no IMO number"
    if not _IMO_RE.fullmatch(candidate):
        return None, f"IMO {candidate!r} is not 7 digits"
    if not imo_check_digit_ok(candidate):
        return None, f"IMO {candidate} fails the check digit"
    return candidate, ""


def _ofac_source(path: Path, ent_num: str, programs: tuple[str, ...]) -> str:
    """How the notes cite an OFAC entry."""
    return f"OFAC SDN ent_num {ent_num} program {'/'.join(programs)} ({path.name})"


def _ofac_vessel(source: str, name: str, imo: tuple[str | None, str], vessel_type: str, flag: str,
                 programs: tuple[str, ...], tonnage: str, grt: str,
                 aliases: tuple[tuple[str, str], ...]) -> ListedVessel:
    """A ListedVessel from the fields the CSV and XML forms of the SDN list share."""
    sizes = {k: v for k, v in (("dwt", _positive_number(tonnage)), ("gross_tonnage", _positive_number(grt)))
             if v is not None}
    return ListedVessel(source=source, name=name, imo=imo[0], problem=imo[1], vessel_type=vessel_type, flag=flag,
                        sanctions=(OFAC_CODE,), programs=programs, sizes=sizes,
                        size_notes={"dwt": OFAC_TONNAGE_NOTE}, aliases=aliases)


def read_ofac_csv(path: Path) -> list[ListedVessel]:
    """Vessel entries of an OFAC SDN sdn.csv, with or without an added header row."""
    path = Path(path)
    vessels = []
    for line, record in _csv_records(path, "OFAC SDN CSV"):
        first = record[0].strip() if record else ""
        if line == 1 and not _DIGITS_RE.fullmatch(first):  # OFAC's file has no header; copies often add one
            continue
        if not any(f.strip(" \x1a") for f in record):  # sdn.csv ends with a DOS end-of-file byte (0x1A) row
            continue
        if len(record) != len(OFAC_COLUMNS):
            raise TankerwatchError(f"{path}:{line}: expected {len(OFAC_COLUMNS)} OFAC SDN fields, got {len(record)}")
        if not _DIGITS_RE.fullmatch(first):
            raise TankerwatchError(f"{path}:{line}: ent_num {first!r} is not a number")
        f = {c: ("" if v.strip() == OFAC_EMPTY else v.strip()) for c, v in zip(OFAC_COLUMNS, record)}
        if f["SDN_Type"].lower() != "vessel":
            continue
        # sdn.csv drops the outer brackets of '[DPRK] [DPRK3]', leaving 'DPRK] [DPRK3'
        programs = tuple(p.strip() for p in re.split(r"[\[\]]", f["Program"]) if p.strip())
        imo, reg_id = _OFAC_IMO_RE.search(f["Remarks"]), _OFAC_REG_ID_RE.search(f["Remarks"])
        vessels.append(_ofac_vessel(
            _ofac_source(path, f["ent_num"], programs), f["SDN_Name"],
            _checked_imo(imo.group(1) if imo else "", reg_id.group(1) if reg_id else ""), f["Vess_type"],
            f["Vess_flag"], programs, f["Tonnage"], f["GRT"], tuple(_ALIAS_RE.findall(f["Remarks"])),
        ))
    return vessels


def read_ofac_xml(path: Path) -> list[ListedVessel]:
    """Vessel entries of an OFAC SDN sdn.xml."""
    path = Path(path)
    vessels = []
    for entry in _xml_root(path, "OFAC SDN XML", "sdnList").iterfind("sdnEntry"):
        if _text(entry, "sdnType").lower() != "vessel":
            continue
        programs = tuple(" ".join(e.text.split()) for e in entry.iterfind("programList/program")
                         if e.text and e.text.strip())
        reg_ids = [_text(i, "idNumber") for i in entry.iterfind("idList/id") if _text(i, "idType") == OFAC_REG_ID]
        imos = [m.group(1) for m in (re.fullmatch(r"IMO\s*(\S+)", r) for r in reg_ids) if m]
        aliases = tuple((_text(a, "type"), " ".join(filter(None, (_text(a, "firstName"), _text(a, "lastName")))))
                        for a in entry.iterfind("akaList/aka"))
        info = entry.find("vesselInfo")
        vessels.append(_ofac_vessel(
            _ofac_source(path, _text(entry, "uid"), programs), _text(entry, "lastName"),
            _checked_imo(imos[0] if imos else "", "; ".join(reg_ids)), _text(info, "vesselType"),
            _text(info, "vesselFlag"), programs, _text(info, "tonnage"), _text(info, "grossRegisteredTonnage"), aliases,
        ))
    return vessels


def _ship_imo_in(name: str, text: str) -> str | None:
    """The first IMO ship number in an entity's text; organisations and company numbers are not ships."""
    if _ORGANISATION_RE.search(name):
        return None
    for match in _IMO_IN_TEXT_RE.finditer(text):
        after_company = _COMPANY_BEFORE_RE.search(text[max(0, match.start() - 40):match.start()])
        if not after_company and imo_check_digit_ok(match.group(1)):
            return match.group(1)
    return None


def read_un_xml(path: Path) -> tuple[list[ListedVessel], int]:
    """Vessels of a UN consolidated list (ENTITY records naming a ship IMO number), and how many
    entities carry an IMO number that is not a ship's (shipping companies have IMO company numbers)."""
    path = Path(path)
    vessels, company_numbers = [], 0
    for entity in _xml_root(path, "UN consolidated list XML", "CONSOLIDATED_LIST").iterfind("ENTITIES/ENTITY"):
        text = " ".join(entity.itertext())
        imo = _ship_imo_in(_text(entity, "FIRST_NAME"), text)
        if imo is None:
            company_numbers += bool(_IMO_IN_TEXT_RE.search(text))
            continue
        list_type = _text(entity, "UN_LIST_TYPE")
        vessels.append(ListedVessel(
            source=f"UN consolidated list {_text(entity, 'REFERENCE_NUMBER')} ({path.name})",
            name=_text(entity, "FIRST_NAME"), imo=imo, sanctions=(UN_CODES.get(list_type, f"UN-{list_type}"),),
            programs=(list_type,),
            aliases=tuple(("a.k.a.", _text(a, "ALIAS_NAME")) for a in entity.iterfind("ENTITY_ALIAS")
                          if _text(a, "ALIAS_NAME")),
        ))
    return vessels, company_numbers


def _table_rows(path: Path, what: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV table with a header, as column -> stripped value, with their line numbers."""
    rows = _csv_records(path, what)
    if not rows:
        raise TankerwatchError(f"{path}: empty file (expected a header line with {', '.join(required)})")
    header = [h.strip().lower() for h in rows[0][1]]
    missing = [c for c in required if c not in header]
    if missing:
        raise TankerwatchError(f"{path}: missing column(s) {', '.join(missing)} ({what})")
    table = []
    for line, record in rows[1:]:
        if not any(v.strip() for v in record):
            continue
        if len(record) != len(header):
            raise TankerwatchError(f"{path}:{line}: expected {len(header)} fields, got {len(record)}")
        table.append((line, {h: v.strip() for h, v in zip(header, record)}))
    return table


def _row_sizes(path: Path, line: int, row: dict[str, str]) -> dict[str, float]:
    """The dimension columns a table row fills; a value that is not a positive number names its line."""
    sizes = {}
    for column in DIMENSION_COLUMNS:
        value = row.get(column, "")
        if value:
            number = _positive_number(value) if "_" not in value else None  # float() would take '1_000'
            if number is None:
                raise TankerwatchError(f"{path}:{line}: {column} {value!r} is not a positive number")
            sizes[column] = number
    return sizes


def _table_source(path: Path, line: int, cited: str) -> str:
    """How the notes cite a row of a compiled table, with the source it names."""
    return f"{path.name} line {line}" + (f": {cited}" if cited else "")


def read_vessel_table(path: Path) -> list[ListedVessel]:
    """Vessels of a compiled table: name and imo columns; optional vessel_type, flag, length_m, beam_m,
    dwt, gross_tonnage, sanctions (';'-separated codes) and source."""
    path = Path(path)
    vessels = []
    for line, row in _table_rows(path, "vessel table", ("name", "imo")):
        imo, problem = _checked_imo(row["imo"])
        vessels.append(ListedVessel(
            source=_table_source(path, line, row.get("source", "")), name=row["name"], imo=imo, problem=problem,
            vessel_type=row.get("vessel_type", ""), flag=row.get("flag", ""),
            sanctions=tuple(s.strip() for s in row.get("sanctions", "").split(";") if s.strip()),
            sizes=_row_sizes(path, line, row),
        ))
    return vessels


def read_dimensions(path: Path) -> tuple[dict[str, tuple[dict[str, float], str]], list[str]]:
    """A dimensions table by IMO (imo plus any of length_m, beam_m, dwt, gross_tonnage; a source or
    source_urls column is cited) and the rows with sizes skipped for want of a valid IMO."""
    path = Path(path)
    table, skipped = {}, []
    for line, row in _table_rows(path, "dimensions table", ("imo",)):
        sizes = _row_sizes(path, line, row)
        if not sizes:
            continue
        imo, problem = _checked_imo(row["imo"])
        if imo is None:
            skipped.append(f"{path.name}:{line}: {problem}")
            continue
        table[imo] = (sizes, _table_source(path, line, row.get("source") or row.get("source_urls", "")))
    return table, skipped


def _in_programs(vessel: ListedVessel, programs: Sequence[str]) -> bool:
    """Whether a list record belongs to a wanted programme (a prefix: DPRK takes DPRK3)."""
    if not programs or not vessel.programs:  # tables carry no programme: the user chose their rows
        return True
    return any(p.upper().startswith(want.upper()) for p in vessel.programs for want in programs)


def _merge_one(imo: str, records: list[ListedVessel], dims: tuple[dict[str, float], str] | None) -> Vessel:
    """One registry vessel from every record with its IMO and its dimensions-table row, if any."""
    sizes: dict[str, float] = {}
    notes = [r.source for r in records]
    for record in records:
        for column, value in record.sizes.items():
            if column not in sizes:  # the first record to give a size keeps it
                sizes[column] = value
                if column in record.size_notes and (dims is None or column not in dims[0]):
                    notes.append(record.size_notes[column])
    if dims is not None:
        sizes.update(dims[0])  # a dimensions table is the user's best knowledge
        notes.append(f"dimensions from {dims[1]}")
    length, beam = sizes.get("length_m"), sizes.get("beam_m")
    if length is not None and beam is not None and beam >= length:
        raise TankerwatchError(f"imo {imo}: beam_m {beam:g} is not less than length_m {length:g} ({'; '.join(notes)})")
    names = [(kind, name) for r in records for kind, name in (("also listed as", r.name), *r.aliases)]
    seen = {records[0].name.casefold()}
    for kind, name in names:
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            notes.append(f"{kind} {name}")
    if (length is None or beam is None) and ("dwt" in sizes or "gross_tonnage" in sizes):
        notes.append("length/beam unknown, estimable from tonnage")
    return Vessel(
        imo=imo, name=records[0].name, vessel_type=next((r.vessel_type for r in records if r.vessel_type), ""),
        flag=next((r.flag for r in records if r.flag), ""), length_m=length, beam_m=beam, dwt=sizes.get("dwt"),
        gross_tonnage=sizes.get("gross_tonnage"),
        sanctions=tuple(dict.fromkeys(code for r in records for code in r.sanctions)), notes="; ".join(notes),
    )


def merge_vessels(records: list[ListedVessel], dimensions: dict[str, tuple[dict[str, float], str]]) -> list[Vessel]:
    """Registry vessels keyed by IMO, in first-listed order; records without an IMO are left out."""
    by_imo: dict[str, list[ListedVessel]] = {}
    for record in records:
        if record.imo is not None:
            by_imo.setdefault(record.imo, []).append(record)
    return [_merge_one(imo, group, dimensions.get(imo)) for imo, group in by_imo.items()]


def _kept(path: Path, kind: str, records: list[ListedVessel], programs: Sequence[str],
          company_numbers: int = 0) -> tuple[SourceReport, list[ListedVessel]]:
    """A list file's report and its records in the wanted programmes."""
    kept = [r for r in records if _in_programs(r, programs)]
    skipped = [f"{r.name or '(no name)'} [{r.source}]: {r.problem}" for r in kept if r.imo is None]
    report = SourceReport(path, kind, records=len(records), outside_programs=len(records) - len(kept),
                          with_imo=len(kept) - len(skipped), skipped=skipped, company_numbers=company_numbers)
    return report, kept


def import_registry(ofac_csv: Sequence[Path] = (), ofac_xml: Sequence[Path] = (), un_xml: Sequence[Path] = (),
                    tables: Sequence[Path] = (), dimensions: Sequence[Path] = (),
                    programs: Sequence[str] = ()) -> ImportResult:
    """Read the lists and tables, keep the wanted programmes, merge by IMO and join the dimensions tables."""
    readers = [  # (files, kind, reader giving the vessel records and the count of company IMO numbers)
        (ofac_csv, "OFAC SDN CSV", lambda p: (read_ofac_csv(p), 0)),
        (ofac_xml, "OFAC SDN XML", lambda p: (read_ofac_xml(p), 0)),
        (un_xml, "UN consolidated XML", read_un_xml),
        (tables, "vessel table", lambda p: (read_vessel_table(p), 0)),
    ]
    reports, records = [], []
    for paths, kind, reader in readers:
        for path in map(Path, paths):
            vessels, company_numbers = reader(path)
            report, kept = _kept(path, kind, vessels, programs, company_numbers)
            reports.append(report)
            records += kept
    listed = {r.imo for r in records if r.imo is not None}
    joined: dict[str, tuple[dict[str, float], str]] = {}
    for path in map(Path, dimensions):
        table, skipped = read_dimensions(path)
        reports.append(SourceReport(path, "dimensions", records=len(table) + len(skipped), with_imo=len(table),
                                    skipped=skipped, unlisted=len(set(table) - listed)))
        joined.update({imo: row for imo, row in table.items() if imo in listed})
    return ImportResult(merge_vessels(records, joined), reports)


def _registry_number(value: float | None) -> str:
    """A size as the registry writes it: empty when unknown, no trailing '.0'."""
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def registry_csv_text(vessels: list[Vessel]) -> str:
    """A registry CSV in the DESIGN.md column order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for v in vessels:
        sizes = (_registry_number(x) for x in (v.length_m, v.beam_m, v.dwt, v.gross_tonnage))
        writer.writerow([v.imo, v.name, v.vessel_type, v.flag, *sizes, ";".join(v.sanctions), v.notes])
    return out.getvalue()


def write_registry(path: Path, vessels: list[Vessel]) -> None:
    """Write a registry CSV atomically: a reader never sees half a registry."""
    atomic_write_text(Path(path), registry_csv_text(vessels))


def registry_summary(vessels: list[Vessel]) -> str:
    """Counts a reader checks a registry by: sizes known, tankers, sanctions programmes."""
    both = sum(v.length_m is not None and v.beam_m is not None for v in vessels)
    tonnage_only = sum((v.length_m is None or v.beam_m is None) and (v.dwt is not None or v.gross_tonnage is not None)
                       for v in vessels)
    codes: dict[str, int] = {}
    for v in vessels:
        for code in v.sanctions:
            codes[code] = codes.get(code, 0) + 1
    programmes = ", ".join(f"{c} {n}" for c, n in codes.items()) or "none"
    return (f"{len(vessels)} vessels; {both} with length and beam, {tonnage_only} with tonnage only (size estimable), "
            f"{len(vessels) - both - tonnage_only} size unknown; "
            f"{sum('tanker' in v.vessel_type.lower() for v in vessels)} typed as tankers; "
            f"{sum(not v.sanctions for v in vessels)} without a sanctions code; programmes: {programmes}")


def registry_table(vessels: list[Vessel], notes: bool = False) -> str:
    """A fixed-width table of registry vessels, with each vessel's notes under it when asked."""
    header = ("IMO", "NAME", "TYPE", "FLAG", "LENGTH_M", "BEAM_M", "DWT", "GT", "SANCTIONS")
    rows = [(v.imo, v.name, v.vessel_type, v.flag, *(_registry_number(x) or "-" for x in
             (v.length_m, v.beam_m, v.dwt, v.gross_tonnage)), ";".join(v.sanctions) or "-") for v in vessels]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    for vessel, row in zip(vessels, rows):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if notes and vessel.notes:
            lines.append(f"    notes: {vessel.notes}")
    return "\n".join(lines)
