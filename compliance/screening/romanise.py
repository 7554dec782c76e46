"""Chinese and Korean script names, read so that they meet the list's own romanised names.

The Consolidated Screening List writes its Chinese and Korean parties in Latin letters, in English
where the name has an English form ("Huawei Technologies Co., Ltd.", "Korea Mining Development
Trading Corporation"). A name screened in its own script therefore meets the list in two parts:

- the common words of company names (technology, investment, group, limited company, trading,
  mining, the large cities, ...) are translated by the glossary below, the way the list translates
  them;
- what is left, the distinctive part ("华为", "광업" aside), is romanised by `anyascii` (pinyin for
  Chinese, Revised Romanisation for Korean) into one word per run: "华为" -> "huawei", which is how
  the list spells it.

A name whose English form is not a romanisation ("中芯国际" is SMIC, "海思" is HiSilicon) is not
found this way; only a list alias in the party's own script would find it.
"""

from __future__ import annotations

import re

# Longest first when applied. Simplified and traditional forms where they differ.
_CHINESE = {
    "股份有限公司": "co ltd",
    "有限责任公司": "co ltd",
    "有限責任公司": "co ltd",
    "有限公司": "co ltd",
    "公司": "company",
    "集团": "group",
    "集團": "group",
    "控股": "holding",
    "投资": "investment",
    "投資": "investment",
    "技术": "technology",
    "技術": "technology",
    "科技": "technology",
    "国际": "international",
    "國際": "international",
    "贸易": "trading",
    "貿易": "trading",
    "进出口": "import and export",
    "進出口": "import and export",
    "电子": "electronic",
    "電子": "electronic",
    "微电子": "microelectronic",
    "微電子": "microelectronic",
    "半导体": "semiconductor",
    "半導體": "semiconductor",
    "集成电路": "integrated circuit",
    "集成電路": "integrated circuit",
    "制造": "manufacturing",
    "製造": "manufacturing",
    "数字": "digital",
    "數字": "digital",
    "研究所": "research institute",
    "研究院": "research institute",
    "大学": "university",
    "大學": "university",
    "工业": "industry",
    "工業": "industry",
    "航空": "aviation",
    "航天": "aerospace",
    "发展": "development",
    "發展": "development",
    "软件": "software",
    "軟件": "software",
    "通信": "communication",
    "网络": "network",
    "網絡": "network",
    "服务": "service",
    "服務": "service",
    "设备": "equipment",
    "設備": "equipment",
    "材料": "material",
    "中国": "china",
    "中國": "china",
    "香港": "hong kong",
    "北京": "beijing",
    "上海": "shanghai",
    "深圳": "shenzhen",
    "广州": "guangzhou",
    "廣州": "guangzhou",
    "武汉": "wuhan",
    "武漢": "wuhan",
    "成都": "chengdu",
    "杭州": "hangzhou",
    "天津": "tianjin",
    "南京": "nanjing",
    "西安": "xian",
    "东莞": "dongguan",
    "東莞": "dongguan",
    "苏州": "suzhou",
    "蘇州": "suzhou",
}
_KOREAN = {
    "주식회사": "co ltd",
    "유한회사": "co ltd",
    "총회사": "general corporation",
    "회사": "company",
    "그룹": "group",
    "무역": "trading",
    "상사": "trading",
    "개발": "development",
    "광업": "mining",
    "공업": "industry",
    "기술": "technology",
    "전자": "electronic",
    "국제": "international",
    "은행": "bank",
    "조선": "korea",
    "평양": "pyongyang",
}
_GLOSSARY = {**_CHINESE, **_KOREAN}
_TERMS = re.compile("|".join(sorted(map(re.escape, _GLOSSARY), key=len, reverse=True)))
_CJK_OR_HANGUL = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    return bool(_CJK_OR_HANGUL.search(text))


def translate_common_words(text: str) -> str:
    """``text`` with the glossary's words in English, each set off by spaces, so that the rest of
    each run romanises as one word."""
    return _TERMS.sub(lambda m: f" {_GLOSSARY[m.group()]} ", text)
