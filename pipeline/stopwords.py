"""Stop lists: the function characters and words that end a name, a phrase or a query term.

Each list is built from the shared groups at the top, so a character added to a group
reaches every list that should see it. The lists differ where their uses differ (a town
name may not contain 省, a query keeps 从 as a word); see each comment.
"""

from __future__ import annotations

# Particles, conjunctions and prepositions every stop list below shares.
FUNCTION_CHARS = frozenset("的了是在和与及等被把对为")
# Prepositions that open a phrase before a place or body (从北京…, 向市总…, 将工会…); queries keep them.
PREPOSITION_CHARS = frozenset("从向将")
# A level word after these refers to a unit rather than naming one: 各省, 全市, 该县, 本区.
REFERRING_CHARS = frozenset("各全该本")
ADMIN_LEVEL_CHARS = frozenset("省市县区")
PUNCTUATION_CHARS = frozenset('、，。；：！？（）()“”"')

# ---------------------------------------------------------------------------- entities

# No town or village name holds these (马鞍镇 yes; 在镇, 该区街道, 市总驻村 no).
TOWN_NAME_STOP_CHARS = FUNCTION_CHARS | PREPOSITION_CHARS | REFERRING_CHARS | ADMIN_LEVEL_CHARS | frozenset("总驻帮")

# Two characters before 市人社局 / 县总工会 are an unlisted place's name (怀柔县民政局) only
# when none of them is one of these (在市总工会, 各县总工会, 全区人社局).
PLACE_NAME_STOP_CHARS = (
    FUNCTION_CHARS | PREPOSITION_CHARS | REFERRING_CHARS | ADMIN_LEVEL_CHARS | frozenset("到由其这那每")
)

# Walking left from 行业工会联合会 or 公司工会 over the words that name it stops at these:
# verbs that create or run the body, function words, titles and time words.
NOUN_PHRASE_STOP_WORDS = (
    FUNCTION_CHARS
    | PREPOSITION_CHARS
    | REFERRING_CHARS
    | frozenset("、由其下上中以并还也给让使到同")
    | frozenset(
        "建立 成立 组建 打造 推动 推进 积极 持续 联合 指导 会同 协调 通过 依托 所在 新建 建成 组织 召开 举办 开展 发起 "
        "牵头 授予 主席 副主席 书记 负责人 基层 各级 引导 带领 协助 支持 参与 加入 此外 同时 近日 日前 目前".split()
    )
)

# ---------------------------------------------------------------------------- figures

# What a number counts (1000场“文化大餐”) ends at these characters and words.
COUNTED_STOP_CHARS = FUNCTION_CHARS | PREPOSITION_CHARS | PUNCTUATION_CHARS | frozenset("到给以就也都还并")
COUNTED_STOP_WORDS = frozenset("以上 以下 左右 之间 提供 参加 参与 进行 开展 获得 达到 共 累计 其中".split())

# ---------------------------------------------------------------------------- people

# A personal name does not start with these (记者日前…, 主任在…, 书记和…). The particles 的, 是
# and 等 of FUNCTION_CHARS are not surnames, so leaving them out changes nothing.
NOT_NAME_START_CHARS = (FUNCTION_CHARS - frozenset("的是等")) | PREPOSITION_CHARS | frozenset("这那该其此各每近日据说")

# ---------------------------------------------------------------------------- queries

# Function words of a free-text query: "哪个县推出了马背送学" ranks by 马背送学, not by 了.
FUNCTION_WORDS = FUNCTION_CHARS | frozenset("也 都 就 而 或 以 于 之 其 这 那 有 个 着 吗 呢 吧 啊".split())
QUESTION_WORDS = frozenset("哪 哪个 哪些 哪里 什么 怎么 怎样 如何 谁 多少 几 是否 有没有 一个".split())
# Dropped from free-text queries (never from phrases).
STOPWORDS = FUNCTION_WORDS | QUESTION_WORDS
# Words of a `who` question that every union story has: they say nothing about which one did
# the thing asked about (the question word itself is read before these are dropped).
WEAK_QUESTION_TERMS = FUNCTION_WORDS | frozenset(
    "过 哪 些 什么 怎么 如何 一个 工会 总工会 职工 开展 推出 举办 组织 进行 首次 要求".split()
)
