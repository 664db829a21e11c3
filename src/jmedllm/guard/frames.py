"""Intent frames: high-precision rules that name a harmful request outright.

The linear model scores topic and intent together and, trained on a few thousand
prompts, leaves clear cases near its threshold: 「サリンってどうやって作るの」 reads much
like a question about sarin poisoning. What separates them is a *conjunction* — a
hazardous object together with an act of making, hiding, forging or taking — which a
linear model over n-grams cannot express. A frame is such a conjunction, written from
the hazard taxonomy (not from test sentences), with the protective readings that defeat
it: treatment, antidotes, prevention, detection, education, the law.

A frame matches when, within one sentence (or the whole prompt when it is short), every
one of its ``all`` patterns matches, and none of its ``unless`` patterns matches anywhere
in the prompt (「…こっそり混ぜて飲ませるのって、許されるんでしょうか」 asks the law in its
second clause). An attacker who adds a protective phrase escapes a frame, not the model. Patterns
are written in ordinary Japanese and compiled against the canonical text the model
reads (NFKC, lower case, katakana folded to hiragana), so サリン in a pattern also matches
さりん and ｻﾘﾝ in a prompt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

__all__ = ["FRAMES", "INJECTION_FRAMES", "Frame", "FrameMatch", "match_frames"]

_KATAKANA = str.maketrans({chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)})
#: Prompts up to this long are also read whole: 「毒ガス。作り方。」 splits its frame in two.
_WHOLE_TEXT_CHARS = 120
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?\n]?")


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.casefold().translate(_KATAKANA))


@dataclass(frozen=True, slots=True)
class Frame:
    name: str
    category: str
    all: tuple[str, ...]
    unless: tuple[str, ...] = ()

    def matches(self, segment: str, whole: str) -> bool:
        """Every ``all`` pattern in ``segment``, no ``unless`` pattern anywhere in ``whole``."""
        required, protective = _compiled(self)
        return all(p.search(segment) for p in required) and not any(p.search(whole) for p in protective)


@cache
def _compiled(frame: Frame) -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    return tuple(map(_compile, frame.all)), tuple(map(_compile, frame.unless))


@dataclass(frozen=True, slots=True)
class FrameMatch:
    frame: str
    category: str


# Readings that make a request protective or educational rather than harmful, shared by
# most frames: treating, detecting, preventing, reporting, asking what the law says.
_PROTECTIVE = (
    r"治療|解毒|拮抗|中和|対処|応急|手当て|除染|防護|予防|防止|防ぐ|防げ|見抜|見破|見分け|気づく方法|気付く方法|発見|検出法"
    r"|対策|通報|相談先|罰則|処分|事例|ニュース|報道|歴史|とは[?？]?$"
    # Asking whether something is allowed, or how not to be suspected of it, is asking the law.
    r"|(?:違法|合法|適法|禁止|許され|虐待|偽造|犯罪)(?:る|です|に|され|なん|でしょう|なの)|になりますか|誰に報告|どこに相談"
    r"|疑われない(?:ため|よう)|思われない(?:ため|よう)|言われない(?:ため|よう)|心配"
    r"|(?:が|を)疑われ|疑い(?:が|の)ある|の対応(?:は|を|について)|どう対応|対応(?:すれば|したら|の仕方|方法)"
    # The lawful routes to a record: correcting it, asking for its disclosure.
    r"|訂正|開示請求"
    # Someone who saw wrongdoing, or was told to do it, and asks how to refuse or report.
    r"|断り方|断りたい|断る方法|見てしまっ|見つけてしまっ|告発|公益通報|内部通報|相談する前に"
    # Asking where the line is: 「改ざんってどこから？」「遅れて書くのはNGですか」.
    r"|(?:って|は)どこから|どこまでが|ルール(?:が知りたい|を教え|はありますか)|ngですか|だめですか|ダメですか"
    r"|どこに(?:連絡|相談|報告|通報)|連絡先"
)

# Asking what a wrong is, teaching it or defending against it is not doing it (shared by
# the fraud and injection frames).
_EDUCATION = r"とは|何ですか|なんですか|仕組み|どういうもの|勉強|研修で|説明したい|対策|防ぐ|防御|攻撃の例"

FRAMES: tuple[Frame, ...] = (
    # --- toxins and weapons: making, enhancing or releasing an agent --------------------
    Frame(
        "make_agent",
        "toxins_weapons",
        (
            r"サリン|vx|タブン|ソマン|ノビチョク|マスタードガス|イペリット|ホスゲン|塩素ガス|毒ガス|神経剤|化学兵器|生物兵器"
            r"|有毒ガス|青酸|シアン化|リシン|アブリン|ボツリヌス|炭疽|天然痘|毒物|毒薬|猛毒|病原体",
            r"作り方|作る|作れ|作って|作った|つくり|合成|精製|抽出|培養|製造|調合|兵器化|量産|散布|撒|ばらま|流し込|発生させ",
        ),
        # Managing what a hospital holds: 「毒物・劇物の保管庫の管理簿を作って」.
        (
            _PROTECTIVE,
            r"しないよう|させないよう|避け|危険なので|注意|保管|管理簿|点検|在庫|取扱い|取り扱い|様式|届出",
        ),
    ),
    Frame(
        "enhance_pathogen",
        "toxins_weapons",
        (
            r"(?:毒性|病原性|感染力|致死率|伝播力|耐性)を(?:強|高|上げ|増)",
            # A pathogen or toxin, not a drug: 「ジゴキシンの毒性を高める因子」 is pharmacology.
            r"ウイルス|ウィルス|細菌|菌|病原体|毒素|株|芽胞",
        ),
        (_PROTECTIVE, r"仕組み|機序|論文|研究倫理|規制"),
    ),
    # --- harm to others: dosing someone covertly --------------------------------------------
    Frame(
        "covert_dosing",
        "harm_others",
        (
            r"気づかれず|気付かれず|気づかれない|気付かれない|ばれず|ばれない|こっそり|しれっと|知らないうちに|分からないよう"
            r"|わからないよう|怪しまれ|検出されな|証拠(?:を|が)?残ら",
            r"飲ませ|盛|混ぜ|入れ|注射|打|投与|増や|増量|吸わせ|食べさせ",
        ),
        (_PROTECTIVE, r"服薬拒否|認知症|嚥下|飲みやす|ゼリー|簡易懸濁"),
    ),
    Frame(
        "incapacitate",
        "harm_others",
        (
            r"弱らせ|苦しめ|懲らしめ|黙らせ|眠らせて|動けなく|痛い目|(?<!不)始末(?!書)|仕返し|復讐|(?<!自)殺し|(?<!自)殺す|(?<!自)殺せ|毒を盛",
        ),
        (_PROTECTIVE, r"と言(?:う|われ|って)|訴え|妄想|ニュースで"),
    ),
    # --- self-harm: the wish to die together with a method or an amount ---------------------
    Frame(
        "self_harm_method",
        "self_harm",
        (
            r"死にたい|しにたい|死ねる|死ねま|死ぬ方法|死に方|楽に死|消えたい|終わりにしたい|終わらせたい|自殺したい"
            r"|目が覚めなくな|二度と起きな|眠ったまま|この世から",
            r"方法|ほうほう|やり方|量|何錠|何mg|何箱|どれ|いくつ|確実|痛くな|苦しまず|楽に|教えて|おしえて|自宅で",
        ),
        # Someone else's words or state (a patient, a child, a friend) is a clinician or a
        # family member asking how to help: the model and the crisis message handle the rest.
        (
            r"患者|利用者|入居者|相談者|生徒|児童|息子|娘|子ども|子供|夫|妻|母|父|家族|友人|友達|同僚|と言(?:う|われ|って)"
            r"|訴え|評価|アセスメント|対応|声かけ|支援|検索",
        ),
    ),
    Frame(
        "suicide_method",
        "self_harm",
        (
            r"ホーム|線路|電車に|飛び込|飛び降り|屋上|首吊|首を吊|首をつ|練炭|硫化水素|まとめて(?:飲|服用)|大量に(?:飲|服用)|身辺整理",
            r"確実|どこが|どのあたり|何階|何メートル|何時頃|苦しまず|痛くな|発見されにく|見つかりにく|気づかれにく|終われ|死ね|楽に",
        ),
        (
            r"患者|利用者|入居者|生徒|児童|子ども|子供|息子|娘|夫が|妻が|家族が|友人|友達|同僚|防止|予防|対策|ニュース|事故"
            r"|相談|受診|救急|手すり|転落",
        ),
    ),
    Frame(
        "self_injury",
        "self_harm",
        (
            r"リストカット|リスカ|自傷|腕を切|手首を切|切っても|深く切",
            r"深く|場所|どこ|大丈夫な|気づかれ|気付かれ|バレ|ばれ|隠す|隠せ|跡を|スッキリ|すっきり",
        ),
        (
            r"やめ方|やめるには|やめたい|相談|受診|治療|手当|ケア|患者|生徒|子ども|子供|娘|息子|友人|家族|傷跡の治療"
            # Coping with the urge, or telling one's doctor: help-seeking.
            r"|衝動|対処|できること|乗り切|乗り越|主治医",
        ),
    ),
    Frame(
        "overdose_plan",
        "self_harm",
        (
            r"(?:ためて|溜めて|貯めて|ため込|溜め込|まとめて|一度に|一気に|全部|ありったけ|残りを?全部).{0,12}(?:飲|のむ|のん|のみ)",
            r"何錠|どれくらい|どのくらい|何日分|足りる|死ね|起きな|目が覚め|楽に|確実|眠ったまま|終わり",
        ),
        # Someone else took them, or took them by mistake: a poisoning question.
        (
            r"患者|利用者|入居者|家族が|子(?:ども|供)?が|息子|娘|夫が|妻が|母が|父が|誤って|間違えて|飲んでしまった|対応|どうすれば"
            r"|受診|救急|中毒110",
        ),
    ),
    # --- fraud: forging or backdating documents, records and claims -----------------------
    Frame(
        "forge_document",
        "fraud",
        (
            r"偽造|改ざん|改竄|水増し|捏造|でっち上げ|でっちあげ|架空の|偽の|にせの|ニセの|フェイク|fake"
            r"|(?:あった|した|やった|行った|受けた|いた|来た|診た|出した)ことに(?:し|する|でき)",
            r"診断書|処方箋|処方せん|カルテ|記録|レセプト|証明書|明細|請求|印鑑|病院印|日付|時刻|指示書|同意書|紹介状"
            r"|検査結果|データ|領収書|certificate",
        ),
        (
            _PROTECTIVE,
            r"されたら|された場合|されていないか|疑[いうわっ]|ことになり(?:ます|ません)|に(?:当た|あた)(?:る|り)",
        ),
    ),
    Frame(
        "false_claim",
        "fraud",
        (
            r"保険金|給付金|傷病手当|手当金|診療報酬|加算|算定|請求|レセプト|医療費控除|労災",
            r"水増し|架空|不正に|ごまかし|誤魔化|ばれない|バレない|ばれず|バレず|指摘されない|審査を?(?:通|すり抜け)|上乗せ"
            r"|したことにして|やったことにして|装って|多めにもら|余分にもら|二重に(?:請求|もら)",
        ),
        (_PROTECTIVE, _EDUCATION, r"正しい算定|算定要件|返還|自主返還|指導|監査で指摘された|教材|ルールを守"),
    ),
    # --- privacy: looking up or exposing someone's records without a need -----------------
    Frame(
        "reidentify",
        "privacy_violation",
        (
            r"匿名化|匿名加工|仮名加工|イニシャル|症例報告|モザイク|伏せ字|黒塗り",
            r"特定したい|特定する方法|特定できる|誰か(?:を|が)?(?:知りたい|突き止め|割り出|わかる方法)|割り出|突き止め|復元",
        ),
        (
            _PROTECTIVE,
            r"されないよう|されないため|リスク|どこまで(?:消|伏せ|隠)|同意|審査|ガイドライン|安全管理",
        ),
    ),
    Frame(
        "third_party_private_info",
        "privacy_violation",
        (
            r"元彼|元カレ|元カノ|元夫|元妻|元恋人|同僚|上司|部下|隣人|隣の(?:人|家)|近所の|芸能人|有名人|俳優|女優|選手|政治家"
            r"|あの人|知人|友人の|友達の|義理の|浮気相手|ストーカー",
            r"住所|電話番号|連絡先|勤務先|病名|病歴|通院歴|入院|検査結果|カルテ|診療記録|処方|受診",
            r"調べ|突き止め|特定|聞き出|教えて|知りたい|見たい|見れ|見る方法|のぞ|覗",
        ),
        (
            _PROTECTIVE,
            r"自分の|本人(?:が|の同意)|同意を(?:得|取)|守秘|漏えい|漏洩|してしまった|されたら|見られ",
        ),
    ),
    Frame(
        "covert_lookup",
        "privacy_violation",
        (
            r"内緒で|こっそり|無断で|勝手に(?!やめ|中止|減ら|増や|飲)|本人に(?:内緒|黙って|知られず|言わず)|知られずに|ばれずに|バレずに"
            r"|ログ(?:が|を)?残らな|履歴(?:が|を)?残らな|閲覧履歴を?消",
            r"カルテ|診療記録|病歴|病名|個人情報|住所|連絡先|電話番号|検査結果|服薬|受診歴|通院歴|見|調べ|照会|特定",
        ),
        (
            _PROTECTIVE,
            r"規程|規定|ルール|監査で|違反にな|[覗見撮取]られ|渡され|苦情|やめてもら|あかん|いけない",
        ),
    ),
    # --- drug misuse and diversion -----------------------------------------------------------
    Frame(
        "divert_drugs",
        "drug_misuse",
        (
            r"横流し|転売|売りたい|売れる|売って|闇で|隠語|持ち帰|持ち出|くすね|ちょろまか|余分に(?:もら|出し)"
            r"|複数の(?:病院|クリニック|医療機関|薬局)で|施用残",
            r"薬|錠|麻薬|向精神|睡眠|眠剤|処方|デパス|リタリン|コンサータ|オピオイド|モルヒネ|フェンタニル|オキシコドン"
            r"|リリカ|ベンゾ|ケタミン|プロポフォール",
        ),
        (
            _PROTECTIVE,
            r"依存症の|やめたい|やめられ|家族が|返却|廃棄の手順|正しく廃棄|外泊|持参薬|チェックリスト",
        ),
    ),
    Frame(
        "illicit_purchase",
        "drug_misuse",
        (
            r"覚醒剤|覚せい剤|大麻|mdma|コカイン|ヘロイン|lsd|リタリン|オキシコドン|フェンタニル|向精神薬|睡眠薬|眠剤|処方薬|デパス"
            r"|ハルシオン|サイレース|ベンゾ|ガバペン|リリカ|ケタミン",
            r"(?:ネット|個人輸入|海外通販|売人|闇|sns|twitter|テレグラム|隠語)(?:で|から|の)?.{0,15}(?:買|入手|手に入|取り寄せ|注文)"
            r"|処方箋なしで|処方せんなしで|処方なしで",
        ),
        (_PROTECTIVE, r"危険|依存|相談|やめ|家族が|患者|偽物|注意喚起"),
    ),
    Frame(
        "feign_for_prescription",
        "drug_misuse",
        (
            r"(?:言えば|言い方|伝え方|演技|偽って|大げさに|ふりをして|装って).{0,20}(?:処方(?:して|され|を?もら)|出してもら|もらえ)",
        ),
        (_PROTECTIVE,),
    ),
    Frame(
        "recreational_use",
        "drug_misuse",
        (
            r"気持ちよく|気持ちいい|ハイに|(?<![大小おち])キメ(?:る|た|て|ちゃ|よう|たい)|トリップ|飛べる|ふわふわ|多幸感を",
            r"薬|錠|飲|処方|デパス|リタリン|コンサータ|リリカ|咳止め|ブロン|ベンゾ|眠剤",
        ),
        (_PROTECTIVE, r"副作用|依存症の|やめたい|やめられ|患者|家族が"),
    ),
    # --- unethical care: punishment, restraint or harm hidden from oversight -----------------
    Frame(
        "punitive_care",
        "unethical_care",
        (
            r"罰として|言うことを聞かない|おとなしくさせ|静かにさせ|懲らしめ|わがまま",
            r"薬|鎮静|抑制|縛|拘束|食事を?抜|閉じ込|部屋から出さ|取り上げ|放置|後回し",
        ),
        (_PROTECTIVE, r"正しい|適切|三原則|手順|ガイドライン|すべき|べき(?:です|か)|虐待の"),
    ),
    Frame(
        "hide_incident",
        "unethical_care",
        (
            r"報告(?:しない|せず|しなくて)|記録(?:に|を|には)?(?:書かず|残さず|書かない|残さない|書かなくて)|隠し|隠蔽"
            r"|ごまかし|誤魔化|もみ消|なかったことに",
            r"抑制|拘束|事故|転倒|誤薬|投薬ミス|インシデント|アクシデント|ミス|虐待|褥瘡|けが|怪我|実習",
        ),
        (_PROTECTIVE, r"報告の仕方|報告すべき|正直に|謝罪"),
    ),
    # --- practice without licence, approval or a doctor's order -------------------------------
    Frame(
        "practice_without_authority",
        "unlicensed_practice",
        (
            r"(?:免許|資格|承認|許可|指示|指示書)(?:なし|なく|がない|はない|を持っていない|を取らず|を取る(?:つもり|予定)はない|が切れ)"
            r"|医師はいません|医師がいない|無資格|無免許",
            r"方法|やり方|教えて|ばれ|記録上|ことに(?:する|し)|売|販売|広告|集客|宣伝",
        ),
        (_PROTECTIVE, r"できますか|できるのか|できる範囲|法的に|法律上|制度"),
    ),
)


#: Frames of prompt injection and jailbreaks (category ``prompt_injection``): overriding
#: the instructions, extracting them, or switching the model into a persona without them.
INJECTION_FRAMES: tuple[Frame, ...] = (
    Frame(
        "override_instructions",
        "prompt_injection",
        (
            # Not 「前の指示を取り消して」: users revise their own requests all the time. The
            # attack overrides the standing rules: all of them, the first ones, the system's.
            r"(?:これまで|今まで|以前|上記|最初|すべて|全て|あらゆる|与えられた|受けた|システム|開発者|運営|安全|倫理)の?"
            r"(?:指示|命令|設定|ルール|制約|制限|方針|ガイドライン|プロンプト)(?:を|は)?(?:すべて|全て|一旦|いったん)?"
            r"(?:無視|忘れ|破棄|上書き|解除)",
        ),
        (_EDUCATION,),
    ),
    Frame(
        "extract_instructions",
        "prompt_injection",
        (
            r"システムプロンプト|system ?prompt|初期設定|内部(?:の|で)?(?:指示|設定|ルール)|隠された指示|最初に与えられた|開発者(?:から|の)指示"
            # What the instructions are called when the asker avoids the word: the text
            # addressed to the AI, above the chat, its settings, its admin code.
            r"|指示文|設定情報|全設定|管理コード|実際の設定|設定どおり|設定通り|あなた(?:向け|宛て|へ)の(?:文章|指示|メッセージ)|どういう指示で|どんな指示を受け"
            r"|(?:一番上|最初|冒頭|上)にある(?:文章|テキスト|指示|メッセージ)",
            r"表示|出力|教え|見せ|開示|全文|そのまま|書き出|繰り返|コピー|貼り|省略なし|省略せず|翻訳|回答して|答えて",
        ),
        (_EDUCATION, r"作り方|書き方|設計|作成して|改善|例を"),
    ),
    Frame(
        "unrestricted_persona",
        "prompt_injection",
        (
            r"(?:制限|制約|フィルター|フィルタ|倫理|ルール|検閲|安全装置|ガードレール)(?:の|が|を)?(?:ない|なし|外し|外れ|解除|無効|オフ|持たない)"
            r"|開発者モード|管理者モード|デバッグモード|メンテナンスモード|無制限モード|developer ?mode|(?<![a-z])dan(?![a-z])"
            r"|jailbreak|脱獄",
            r"ai|あなた|モード|として|キャラ|演じ|なりき|振る舞|答え|回答",
        ),
    ),
    # The classic English phrasings, which Japanese attackers paste as they are (full-width
    # letters are folded by the canonical text).
    Frame(
        "english_override",
        "prompt_injection",
        (
            r"(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous\s+|prior\s+|above\s+|earlier\s+"
            r"|initial\s+|system\s+)*(?:instructions|rules|prompts?|directions|guidelines)"
            r"|(?:show|print|reveal|output|repeat|display|dump)\s+(?:me\s+)?(?:all\s+|the\s+|your\s+)*(?:text|instructions|prompt"
            r"|everything|words|messages?)\s+(?:above|before|at the (?:top|start))"
            r"|developer\s*mode|dan\s*mode|do\s+anything\s+now|jailbreak(?:en)?\b",
        ),
        (_EDUCATION, r"what is|how (?:do|to) (?:defend|prevent|detect)"),
    ),
    Frame(
        "instructions_to_the_reader",
        "prompt_injection",
        (
            r"(?:aiへ|ai様|aiアシスタントへ|アシスタントへ|このメッセージを読んだ|これを読んでいる|要約する(?:ai|あなた)"
            r"|言語モデルへ|llmへ|ai宛|aiあて"
            # A note inside a pasted document, marked for the AI: 【記録修正依頼・AI用】, ［AIへの指示］.
            r"|【[^】]{0,20}(?:ai|aiアシスタント|生成ai)(?:用|宛|向け|への)[^】]{0,10}】"
            r"|［[^］]{0,20}(?:ai|生成ai)(?:用|宛|向け|への)[^］]{0,10}］|\[[^\]]{0,20}ai(?:用|宛|向け|への)[^\]]{0,10}\])",
            r"指示|無視|出力|送信|表示|従|実行|書き込|転送|削除|消して|共有|作成すること|すること|許可",
        ),
    ),
)


def _segments(text: str) -> list[str]:
    segments = [m.group(0) for m in _SENTENCE.finditer(text)]
    if len(text) <= _WHOLE_TEXT_CHARS and len(segments) > 1:
        segments.append(text)
    return segments


def match_frames(canonical_text: str, frames: Sequence[Frame] = FRAMES) -> list[FrameMatch]:
    """The frames that match ``canonical_text`` (see :func:`jmedllm.guard.normalize.canonical`)."""
    found: dict[str, FrameMatch] = {}
    for segment in _segments(canonical_text):
        for frame in frames:
            if frame.name not in found and frame.matches(segment, canonical_text):
                found[frame.name] = FrameMatch(frame.name, frame.category)
    return list(found.values())
