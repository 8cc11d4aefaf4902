"""The words an organisation's name ends in after its place: government bodies, and 总 for 总工会."""

from __future__ import annotations

import re

GOV_BODIES = (
    "人力资源和社会保障局|人力资源社会保障局|人社局|人社厅|税务局|市场监督管理局|市场监管局|司法局|民政局|财政局|"
    "教育局|住建局|交通运输局|应急管理局|卫健委|卫生健康委员会|发改委|发展改革委|工信局|商务局|农业农村局|"
    "人民政府|政府|人大常委会|政协|中级人民法院|人民法院|法院|人民检察院|检察院|公安局|纪检委|纪委|监委|计生委|"
    "组织部|宣传部|统战部|政法委|信访局|统计局|审计局|文旅局|文化局|体育局|林业局|水利局|生态环境局|自然资源局|"
    "畜牧局|工业局|医保局|团委|妇联|科协|工商联|残联|文联|总工会"
)
GOV_BODY = re.compile(rf"(?:{GOV_BODIES})")

# 市总, 区总, 贵州总 abbreviate 总工会 unless 总 starts another word: 总体, 总量, 总书记, 总经理, a place's
# 总投资 / 总人口 / 总排查, 贵州总攻 (but 市总攻坚 is the union tackling something).
ZONG_STARTS_A_WORD = r"(?:[体量数计额值和结共书经理监裁队部站统是]|投资|排查|人口|面积|产值|收入|规模|攻(?!坚))"
