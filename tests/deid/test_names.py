"""PERSON recognition: patients, family and staff in kanji, kana and romaji (synthetic names)."""

from __future__ import annotations

import pytest

pytest.importorskip("fugashi")
pytest.importorskip("unidic_lite")

from jmedllm.core.jatext.normalization import normalize
from jmedllm.deid.base import RECOGNIZERS, TextContext
from jmedllm.deid.config import DeidConfig
from jmedllm.deid.engine import PhiAnalyzer
from jmedllm.deid.lexicons import LEXICONS, load_lexicon
from jmedllm.deid.recognizers.names import PersonRecognizer

_ANALYZER = PhiAnalyzer(DeidConfig(recognizers=("names.person",)))


def persons(text: str, analyzer: PhiAnalyzer = _ANALYZER) -> list[str]:
    """PERSON strings the engine reports (protection and merging included)."""
    return [text[s.start : s.end] for s in analyzer.analyze(text) if s.label == "PERSON"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Patients with honorifics.
        ("山田太郎様は本日退院された。", ["山田太郎"]),
        ("田中 花子 様、お大事に。", ["田中 花子"]),
        ("佐藤さんは夜間良眠。", ["佐藤"]),
        ("鈴木さまより電話あり。", ["鈴木"]),
        ("小林氏は既往に糖尿病あり。", ["小林"]),
        ("中村殿", ["中村"]),
        ("健太くんは6歳。", ["健太"]),
        ("さくらちゃんが来院。", ["さくら"]),
        # Staff.
        ("主治医 伊藤 誠", ["伊藤 誠"]),
        ("担当看護師 加藤", ["加藤"]),
        ("本日、吉田先生の外来を受診。", ["吉田"]),
        ("山本医師に報告済み。", ["山本"]),
        ("井上Dr.より指示あり。", ["井上"]),
        ("Dr.木村の回診。", ["木村"]),
        ("林Nsへ申し送り。", ["林"]),
        ("薬剤師 清水より疑義照会。", ["清水"]),
        ("執刀医：山口 健一", ["山口 健一"]),
        # Family.
        ("妻の花子さんが面会。", ["花子"]),
        ("長男 一郎氏がキーパーソン。", ["一郎"]),
        ("キーパーソン：松本 和子（長女）", ["松本 和子"]),
        ("母 斎藤恵子", ["斎藤恵子"]),
        # Form labels.
        ("患者氏名：小林 優子\n", ["小林 優子"]),
        ("氏名: 森 健二", ["森 健二"]),
        ("記入者: 池田", ["池田"]),
        ("同意者（本人）：橋本 直樹", ["橋本 直樹"]),
        ("出席者：岡田、前田、藤井", ["岡田", "前田", "藤井"]),
        # Variant kanji and names UniDic does not know.
        ("髙橋さんの血圧は安定。", ["髙橋"]),
        ("山﨑医師", ["山﨑"]),
        ("渡邊看護師より", ["渡邊"]),
        ("齋藤氏", ["齋藤"]),
        ("篠﨑花子さん", ["篠﨑花子"]),
        ("𠮷田一郎は来院した。", ["𠮷田一郎"]),
        ("澤田様、嶋田様", ["澤田", "嶋田"]),
        ("鴨畑先生の紹介。", ["鴨畑"]),
        ("担当医：鴨浦真綾", ["鴨浦真綾"]),
        ("梅浦 先生 御侍史", ["梅浦"]),
        # Kana given names.
        ("山田くみ子さん", ["山田くみ子"]),
        ("文責：平塚 ひより", ["平塚 ひより"]),
        ("山口トメ様", ["山口トメ"]),
        # Readings in brackets.
        ("山田太郎（ヤマダ タロウ）様", ["山田太郎", "ヤマダ タロウ"]),
        ("患者名: 佐藤 花子 (ｻﾄｳ ﾊﾅｺ)", ["佐藤 花子", "ｻﾄｳ ﾊﾅｺ"]),
        # Foreign names in katakana.
        ("ジョン・スミス様が来院。", ["ジョン・スミス"]),
        ("ｼﾞｮﾝ･ｽﾐｽ様", ["ｼﾞｮﾝ･ｽﾐｽ"]),  # half-width, reported on the original characters
        ("患者: マリア・ガルシア さん", ["マリア・ガルシア"]),
        ("グエンさんの通訳を手配。", ["グエン"]),
        # Romaji.
        ("Name: Taro Yamada", ["Taro Yamada"]),
        ("YAMADA Taro 様", ["YAMADA Taro"]),
        ("Referred by Dr. Suzuki", ["Suzuki"]),
        ("Hanako Sato visited today.", ["Hanako Sato"]),
        # Cue-less full names and bare surnames before particles.
        ("本日、山田花子が外来受診。", ["山田花子"]),
        ("田中より電話連絡あり。", ["田中"]),
        ("本日、ジョン・スミスが来院。", ["ジョン・スミス"]),
        # Roles in brackets, signatures after a department, callers, duty fields.
        ("宮﨑 太郎（主治医）、加藤 零（看護師）", ["宮﨑 太郎", "加藤 零"]),
        ("消化器外科　木村七夏\n〒100-0001", ["木村七夏"]),
        ("さくら病院の佐藤です。", ["佐藤"]),
        ("夜勤帯：清水\n22:00 巡視", ["清水"]),
        ("受付：德永 結衣（外来）", ["德永 結衣"]),
        ("陽向くん（6歳）", ["陽向"]),
        ("長女 王 偉 様（Wei WANG）", ["王 偉", "Wei WANG"]),
        # Old-style kana given names, hiragana full names, other scripts of the same name.
        ("山田ヨシ子様", ["山田ヨシ子"]),
        ("患者名：いちのせ まさお（一ノ瀬 正男）", ["いちのせ まさお", "一ノ瀬 正男"]),
        ("患者名：タカハシ カズコ（髙橋 和子）", ["タカハシ カズコ", "髙橋 和子"]),
        ("Yoshida Masaru／𠮷田 勝", ["Yoshida Masaru", "𠮷田 勝"]),
        ("お名前：アナ・サントス　フリガナ：アナ・サントス", ["アナ・サントス", "アナ・サントス"]),
        # A label quoting the name: 「ふりがなは「…」」 is a form field written as a sentence.
        ("ふりがなは「しょうじ まさる」で合ってますか", ["しょうじ まさる"]),
        ("氏名は「髙橋 和子」です", ["髙橋 和子"]),
    ],
)
def test_person_found(text: str, expected: list[str]) -> None:
    assert persons(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "主治医の先生に相談した。",
        "診断名は「高血圧」です。",
        "担当の先生から説明あり。",
        "看護師さん、ヘルパーさん、ケアマネさんと調整。",
        "患者様とご家族様へ説明。お母さんも同席。",
        "皆様にお知らせします。",
        "橋本病、川崎病、パーキンソン病の既往。",
        "パーキンソン症状が強い。パーキンソン様症状あり。",
        "長谷川式認知症スケールで20点、田中ビネー知能検査を施行。",
        "森田療法を導入。高安動脈炎、菊池病、原田病。",
        "ギラン・バレー症候群の疑い。シェーグレン症候群。",
        "川崎市在住。宮崎県出身。福島に転居。",
        "アムロジピン、ワーファリン、ロキソプロフェンを処方。",
        "脈拍72/分、整。洞調律。大網に腫瘤。",
        "結節様の陰影。クラスター様に集簇する。頭殿長18mm。",
        "ドクターカーで搬送。",
        "赤ちゃんの体重は3000g。",
        "A氏は50歳男性。〇〇様。",
        "当院、近医、前医、他院へ紹介。",
        "グラム陽性球菌。アキレス腱反射低下。",
        "母は子宮癌、夫と子ども2人と同居。同じ症状のお子さんがいる。",
        "兄の高血圧症。大泉門は平坦、小泉門を触知。洞房結節。",
        "発信者：キーパーソンの長女",
        "出身は福島です。結果は陰性です。",
    ],
)
def test_no_person(text: str) -> None:
    assert persons(text) == []


def test_roles_in_brackets_are_not_readings() -> None:
    found = persons("渡邉(MSW)と山田様(ヘルパー)")
    assert "渡邉" in found and "山田" in found
    assert not {"MSW", "ヘルパー"} & set(found)


def test_honorific_is_not_part_of_the_name() -> None:
    text = "山田様"
    spans = _ANALYZER.analyze(text)
    assert [(s.start, s.end) for s in spans] == [(0, 2)]


def test_offsets_map_back_through_normalisation() -> None:
    text = "患者氏名：ＹＡＭＡＤＡ　Ｔａｒｏ　様（ﾔﾏﾀﾞ ﾀﾛｳ）"
    found = persons(text)
    assert found == ["ＹＡＭＡＤＡ　Ｔａｒｏ", "ﾔﾏﾀﾞ ﾀﾛｳ"]


def test_extra_names_are_always_person() -> None:
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("names.person",), extra_names=("鬼灯", "ｘｙ")))
    assert persons("本日の担当は鬼灯。xyも同席。", analyzer) == ["鬼灯", "xy"]


def test_recognizer_contract() -> None:
    recognizer = RECOGNIZERS.get("names.person")()
    assert isinstance(recognizer, PersonRecognizer)
    assert recognizer.labels == ("PERSON",)
    text = normalize("主治医 山田太郎先生、妻の花子さん")[0]
    spans = recognizer.analyze(TextContext(text))
    assert spans and all(s.label == "PERSON" and 0 <= s.start < s.end <= len(text) for s in spans)
    assert all(0.0 <= s.score <= 1.0 and s.source == "" for s in spans)


def test_ascii_only_text() -> None:
    assert persons("Attending: Dr. Kobayashi / Nurse: Ms. Ito") == ["Kobayashi", "Ito"]
    assert persons("CT and MRI were normal. AST 30, ALT 25.") == []


def test_copies_are_merged_into_outermost_spans() -> None:
    from jmedllm.deid.recognizers.names import outermost

    found = [(0, 2, 0.8), (0, 2, 0.9), (0, 4, 0.7), (1, 3, 1.0), (5, 7, 0.5), (6, 6, 1.0)]
    assert outermost(found) == [(0, 4, 0.7), (5, 7, 0.5)]


def _synthetic_scores(label: str, seed: int) -> tuple[float, float]:
    """Character recall and precision of ``label`` on the project's synthetic corpus —
    another generator than these tests': other templates, other names."""
    synth = pytest.importorskip("jmedllm.deid.synth")
    analyzer = PhiAnalyzer(DeidConfig(recognizers=("names.person", "names.facility")))
    gold_chars = found = predicted = correct = 0
    for doc in synth.generate_corpus(150, seed=seed):
        text = doc["text"]
        spans = doc["spans"]
        gold = {i for s in spans if s["label"] == label for i in range(s["start"], s["end"])}
        anything = {i for s in spans for i in range(s["start"], s["end"])}
        pred = {i for s in analyzer.analyze(text) if s.label == label for i in range(s.start, s.end)}
        gold = {i for i in gold if not text[i].isspace()}
        pred = {i for i in pred if not text[i].isspace()}
        gold_chars, found = gold_chars + len(gold), found + len(gold & pred)
        predicted, correct = predicted + len(pred), correct + len(pred & anything)
    return found / gold_chars, correct / predicted


def test_synthetic_corpus_recall_and_precision() -> None:
    recall, precision = _synthetic_scores("PERSON", seed=5)
    assert recall >= 0.99 and precision >= 0.97


def test_lexicons_are_large_enough_and_normalised() -> None:
    assert len(load_lexicon("surnames")) >= 500
    assert len(load_lexicon("given_names")) >= 400
    assert {"髙橋", "山﨑", "渡邊", "齋藤", "澤田", "嶋田", "籔内"} <= load_lexicon("surnames")
    assert {"太郎", "花子", "さくら", "ハナ"} <= load_lexicon("given_names")
    assert "sato" in load_lexicon("romaji_surnames")
    for name in LEXICONS:
        entries = load_lexicon(name)
        assert entries and not any(e.startswith("#") or e != e.strip() for e in entries)
    assert load_lexicon("surnames") is load_lexicon("surnames")  # cached
    with pytest.raises(KeyError):
        load_lexicon("no-such-list")


# --------------------------------------------------------------------------- held-out shapes
# Names in the shapes that an independently written held-out set showed (rosters, chat logs,
# signatures, rare surnames, kana readings, English notes). All names are invented.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Slots: a surname alone in a roster, list, signature, timeline or bracket.
        ("夜勤：仲嶺、安慶田　日勤リーダー：柚島\n", ["仲嶺", "安慶田", "柚島"]),
        ("以上　栗須\n", ["栗須"]),
        ("以上　柚島\n", ["柚島"]),  # unknown to UniDic and the lexicon: the sign-off vouches
        ("所属長確認：鴇田　3/14\n", ["鴇田"]),
        ("麻酔：柚島\n術中迅速病理：陰性", ["柚島"]),
        ("穿刺 1回目で成功（宜保）\nKt/V 1.4", ["宜保"]),
        ("DH 苫米地\n", ["苫米地"]),
        ("同行Ns 雁部／運転 猪狩\n", ["雁部", "猪狩"]),
        ("8:30　外ヶ崎　採血\n", ["外ヶ崎"]),
        ("グループホーム あおば　鴫原、柚島、鴇田（3名）\n", ["鴫原", "柚島", "鴇田"]),
        ("訪問看護 渡具知（ステーションひまわり）", ["渡具知"]),
        ("医事課 左近司受\n「先月入院していた者です」", ["左近司"]),
        ("株式会社ミナミケア 苫米地\n", ["苫米地"]),
        # Full names whose surname nobody knows: the given name vouches.
        ("担当医 柚島 拓也\n", ["柚島 拓也"]),
        ("被接種者自署：梨久保 静香", ["梨久保 静香"]),
        ("7:44 鴫原 由香：了解しました\n7:46 雁部 沙織：よろしく", ["鴫原 由香", "雁部 沙織"]),
        ("R6/3/2\n鵜殿 寅雄　91才", ["鵜殿 寅雄"]),
        ("母（柚島 和代）同席なし", ["柚島 和代"]),
        ("同意者（  梨久保  康代  ）", ["梨久保  康代"]),
        ("柚島 恵理さん　23歳", ["柚島 恵理"]),
        # Surnames MeCab cuts, old kana, rare kanji, foreign given names.
        ("患者氏名：五百蔵 ゆかり\n", ["五百蔵 ゆかり"]),
        ("術後は母 薬袋 真白さんへ説明", ["薬袋 真白"]),
        ("患者氏名：猪狩 ミサヱ　生年月日", ["猪狩 ミサヱ"]),
        ("患者氏名：李 瑩妍\n", ["李 瑩妍"]),
        ("妻 崔 ソヨン様（090", ["崔 ソヨン"]),
        ("長女 宜保 アマンダ 美咲 さん", ["宜保 アマンダ 美咲"]),
        # Kana readings after a label.
        ("フリガナ：シシウチ ハルコ\n", ["シシウチ ハルコ"]),
        ("（ふりがな）わしず やすよ\n", ["わしず やすよ"]),
        ("口座名義 ワシズ ヤスヨ\n", ["ワシズ ヤスヨ"]),
        ("お名前：西村加奈　フリガナ：ニシムラ　カナ\n", ["西村加奈", "ニシムラ　カナ"]),
        ("ロペス＝ゴンサルヴェス アナ様", ["ロペス＝ゴンサルヴェス アナ"]),
        ("、フェレイラ＝コスタ ルシアの娘です。", ["フェレイラ＝コスタ ルシア"]),
        ("氏名：グエン・ヴァン・トゥアン／NGUYEN VAN TUAN", ["グエン・ヴァン・トゥアン", "NGUYEN VAN TUAN"]),
        ("患者：マリア・ソウザ（MARIA DE SOUZA OLIVEIRA）", ["マリア・ソウザ", "MARIA DE SOUZA OLIVEIRA"]),
        # English notes.
        ("From: Haruki Tsunoda <h.t@example.jp>", ["Haruki Tsunoda"]),
        ("Thanks for your help (Ms. K. Yamagishi)", ["K. Yamagishi"]),
        ("Pt: Okabe-Chen, Lian (MRN 1234)", ["Okabe-Chen, Lian"]),
        ("Her husband Mateo Alvarez called.", ["Mateo Alvarez"]),
        ("Dear Dr. Shikiya,\nThank you", ["Shikiya"]),
        ("Attending: Dr. Makoto Heshiki　Resident: 嵩原 陸", ["Makoto Heshiki", "嵩原 陸"]),
        ("— T. Kochinda, MD (cardiology fellow)", ["T. Kochinda"]),
        ("Monitor: Camille Fontanelle (sponsor)", ["Camille Fontanelle"]),
        # A name found once is a name everywhere in the document.
        ("柚島さんより電話。明日は柚島が来院予定。", ["柚島", "柚島"]),
        ("祖母 ナカさん来院。ナカが待っとると話す。", ["ナカ", "ナカ"]),
        # Two people joined by ・ stay two spans.
        ("10:40　津嘉山 亮・津嘉山 ミヨ（ご夫婦）", ["津嘉山 亮", "津嘉山 ミヨ"]),
    ],
)
def test_heldout_shapes_found(text: str, expected: list[str]) -> None:
    assert persons(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Slots that hold no name.
        "診断：急性虫垂炎\n既往：高血圧、糖尿病、脂質異常症\n部位：右下腹部",
        "出身：福島　職業：大工\n主訴：腹痛、嘔気",
        "術者：当科、助手：研修医\n出血：少量\n麻酔：全身麻酔",
        "穿刺成功（2回目）、（済）、（右）",
        "9:00　朝食　10:00　入浴　11:00　検温",
        "夜勤：異常なし　日勤：特変なし\n以上\n以上 よろしくお願いします",
        "家族：妻、長男、長女（3名）\n面会：妻、長男",
        "氏名：不明\nキーパーソン：不在",
        "a. 大網\nb. 小網\nc. 腸間膜",
        "栄養：経口、経管\n移動：車椅子、歩行器\nリハビリ：PT、OT、ST",
        # Words next to a name that are not a name (held-out false positives).
        "本人確認：生年月日（母）1950年",
        "那覇市保健所長 殿",
        # English that is no name.
        "Follow up in 2 weeks. Charles Bonnet syndrome suspected. Treacher Collins症候群。",
        "Dear Sir or Madam,\nSincerely yours,",
        "Tel/Fax 098-000-0000  Plan: Continue ceftriaxone. Monitor BP daily.",
        "Patient was seen by the team. History of Graves disease.",
    ],
)
def test_heldout_shapes_not_found(text: str) -> None:
    assert persons(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("患者氏名：曽根 ハナ 様（女）", ["曽根 ハナ"]),  # not the sex marker
        ("Dr.比屋根／研修医 玉寄 大和", ["比屋根", "玉寄 大和"]),  # not 研修 of 研修医
        (
            "Attending: Dr. Kenta Oyadomari　Resident: 瀬長 葵",
            ["Kenta Oyadomari", "瀬長 葵"],
        ),  # not "Resident"
        ("患者氏名：王偉（王 偉）", ["王偉", "王 偉"]),  # the other form of a kanji name
    ],
)
def test_heldout_false_positives_are_gone(text: str, expected: list[str]) -> None:
    assert persons(text) == expected


def test_rule_helpers() -> None:
    from jmedllm.deid.recognizers._person_rules import _english_name, _script_glued

    text = "Pt: Okabe-Chen, Lian (MRN"
    start, end = _english_name(text, 4) or (0, 0)
    assert text[start:end] == "Okabe-Chen, Lian"
    assert _english_name("Name: the patient", 6) is None
    assert _script_glued("山", "田") and _script_glued("ヤ", "マ") and _script_glued("a", "b")
    assert not _script_glued("山", "さ") and not _script_glued("ア", "a")


def test_new_lexicons_hold_rare_and_foreign_names() -> None:
    surnames = load_lexicon("surnames")
    assert len(surnames) >= 3000
    assert {"比嘉", "仲宗根", "具志堅", "江刺家", "四十物", "九十九", "五百旗頭", "廿日出"} <= surnames
    assert not {"出口", "中間", "本部", "津波", "三角"} & surnames  # clinical words left out
    assert {"キミヱ", "ヨシヱ"} <= load_lexicon("given_names")
    assert {"ミンジュン", "ソヨン"} <= load_lexicon("foreign_names")
    assert {"jerome", "erica", "minjun"} <= load_lexicon("romaji_given_names")
    assert "will" not in load_lexicon("romaji_given_names")
    assert {"Resident", "Dear", "Tel"} <= load_lexicon("person_stopwords")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A one-kanji given name after a known surname and a space.
        ("児：百目鬼 湊（", ["百目鬼 湊"]),
        ("主治医 佐藤 母、", ["佐藤"]),  # 母 is no name kanji
        # A role word between the items of a staff roster links a weak surname to its list.
        ("医師 鈴木 康夫、看護 千葉、リハ 袴田", ["鈴木 康夫", "千葉", "袴田"]),
        ("医師 鈴木 康夫、検査 長野、", ["鈴木 康夫"]),  # 検査 is no role: 長野 stays a place
        # English names with an apostrophe after the capital, and Romance-language field cues.
        ("Re: Mr Kieran O'Donnell, DOB", ["Kieran O'Donnell"]),
        ("Re: Mr Kieran Donnell's chart", ["Kieran Donnell"]),
        ("Paciente: Rafael Augusto MOREIRA LIMA (", ["Rafael Augusto MOREIRA LIMA"]),
        ("Paciente: BP 120", []),
    ],
)
def test_one_kanji_given_rosters_and_foreign_cues(text: str, expected: list[str]) -> None:
    assert persons(text) == expected
