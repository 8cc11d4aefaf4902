"""Publication dates and datelines. A date is taken only from what the page states; never guessed."""

from __future__ import annotations

import re
from datetime import date

from crawler.urls import iso_day

# 《工人日报》(2016年01月22日 02版) as printed on Workers' Daily e-paper pages (half- or full-width brackets).
_PAPER_LINE = re.compile(
    r"《(?P<paper>[^》]{2,12})》\s*[（(]\s*(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"\s*(?:第?\s*(?P<page>\d{1,3})\s*版)?\s*[)）]"
)
_FULL_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
# A dateline at the head of an article: "6月7日，" / "8月11日," / "4月24日晚上"
_DATELINE = re.compile(r"(?<![\d年])(?P<m>1[0-2]|0?[1-9])\s*月\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*日")


def find_paper_line(text: str) -> tuple[str | None, str | None, str | None]:
    """(ISO date, page, paper name) from a 《工人日报》(2016年01月22日 02版) line, or Nones."""
    m = _PAPER_LINE.search(text)
    if not m:
        return None, None, None
    page = m.group("page")
    return iso_day(m["y"], m["m"], m["d"]), (page.zfill(2) if page else None), m["paper"]


def parse_date(value: str | None) -> str | None:
    """An ISO date from '2019-02-01', '2019年2月1日' or None; None when it is not a real date."""
    if not value:
        return None
    for pat in (_ISO_DATE, _FULL_DATE):
        m = pat.search(value)
        if m:
            return iso_day(m["y"], m["m"], m["d"])
    return None


def find_dateline(text: str, head_chars: int = 120) -> str:
    """The month-day dateline near the start of an article (e.g. '6月7日'), as printed, or ''."""
    m = _DATELINE.search(text[:head_chars])
    return f"{int(m['m'])}月{int(m['d'])}日" if m else ""


def resolve_dateline(dateline: str, publication_date: str | None) -> str | None:
    """Give a year-less dateline the year of publication, stepping back a year when the
    dateline would otherwise fall after the paper came out (a December story printed in January)."""
    m = _DATELINE.search(dateline or "")
    if not m or not publication_date:
        return None
    pub = date.fromisoformat(publication_date)
    iso = iso_day(pub.year, m["m"], m["d"])
    if iso and iso > publication_date:
        iso = iso_day(pub.year - 1, m["m"], m["d"])
    return iso
