"""Character classes shared by every stage (one definition, used inside regex classes)."""

# Han characters: CJK unified ideographs, extension A and the compatibility block (OCR and
# Traditional text bring the latter two).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
