"""The input rails' small model: character n-grams of the canonical text, three linear heads.

* **attack** — is this a harmful request *or* an injection (against benign clinical use)?
  The one decision a guard has to make, and the one that gets all the data: separate
  harmful and injection heads each learned the other kind of attack as "benign", and at
  the same false-block rate blocked a fifth fewer attacks on dev (0.68 against 0.84).
  It is an NB-SVM (features scaled by their log-count ratio, :func:`nb_scale`);
* **injection** — which kind of attack: an injection or jailbreak, or a harmful request
  (fitted on attacks only; it routes a blocked prompt to its rail and message);
* **category** — which hazard (one logistic head per category, one-vs-rest).

Features are hashed character 1–4-grams of :func:`jmedllm.guard.normalize.canonical`
plus named signals (override verbs, prompt-extraction words, pasted-document markers),
so one sparse transform feeds all heads: well under a millisecond per view on a CPU.
The shipped file holds coefficients, intercepts and the decision thresholds chosen on
the dev split (``.npz``, no pickle). ``jmedllm guard train`` rebuilds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jmedllm.core.taxonomy import HAZARDS
from jmedllm.core.weights import load_weights, save_weights

__all__ = [
    "MODEL_VERSION",
    "IntentModel",
    "Scores",
    "default_model_path",
    "intent_signals",
    "load_intent_model",
]

MODEL_VERSION = 2
N_FEATURES = 2**18
CATEGORIES: tuple[str, ...] = tuple(HAZARDS)

# Named signals (read on the canonical text: lower case, katakana folded to hiragana).
_SIGNALS: dict[str, re.Pattern[str]] = {
    "override": re.compile(
        r"(?:無視|わすれ|忘れ|むし|取り消|破棄|上書き|ignore|disregard|forget|override).{0,12}"
        r"(?:指示|命令|めいれい|しじ|るーる|ルール|設定|せってい|制限|せいげん|instruction|rule|prompt)"
        r"|(?:指示|しじ|instruction|rule)s?.{0,8}(?:無視|むし|ignore|disregard)"
    ),
    "extraction": re.compile(
        r"(?:しすてむぷろんぷと|system ?prompt|管理こーど|初期設定|設定を?全文|指示文|内部の?指示|最初に与えられた"
        r"|秘密の?(?:こーど|合言葉)|隠された指示)"
    ),
    "persona": re.compile(
        r"(?:\bdan\b|制限のない|制約のない|しばりのない|何でも答える|開発者もーど|developer mode|jailbreak|じぇいるぶれいく"
        r"|として振る舞|になりきっ|ろーるぷれい|role ?play)"
    ),
    "authority": re.compile(
        r"(?:院長命令|管理者権限|開発者です|開発元|運営者です|監査のため|厚労省の指示|特別に許可)"
    ),
    "wrapper": re.compile(
        r"(?:小説|ふぃくしょん|物語|脚本|仮定の話|仮に|研究目的|研究のため|授業で|教育目的|hypothetical)"
    ),
    "encoded": re.compile(r"(?:base64|でこーど|decode|逆から読|逆さまに|反対から読)"),
    "to_ai": re.compile(
        r"(?:aiへ|あしすたんとへ|このめっせーじを読んだ|これを読んでいる|以下の指示に従|出力してください|と出力)"
    ),
    # Intent: what separates "how do I poison …" from "what is the antidote for …" is rarely
    # the drug; it is concealment, a victim, acting without consent or authority, acquiring
    # or selling, forging — and, for self-harm, the wish to die.
    "concealment": re.compile(
        r"(?:ばれ|気づかれ|気付かれ|検出されな|検死で|痕跡|発覚|見つからな|証拠を?残さ|怪しまれ|疑われな|言い訳|ごまかし"
        r"|誤魔化|隠し|隠蔽|こっそり|内緒で|黙って|知られず|分からないよう|わからないよう|指摘されな|自然に見せ|自然死)"
    ),
    "victim": re.compile(
        r"(?:弱らせ|苦しめ|懲らしめ|黙らせ|おとなしくさせ|眠らせて|動けなく|殺し|殺す|殺せ|毒を盛|始末(?!書)|仕返し|復讐|困らせ"
        r"|嫌がらせ|ぶっ|痛い目|後回しに)"
    ),
    "self_harm": re.compile(
        r"(?:死にた|しにた|死ねる|死ねま|死ぬ方法|死に方|楽になりた|楽に死|終わらせ|消えたい|いなくなりた|自殺(?:する|したい|の方法)"
        r"|遺書|首を|飛び降り|ためてる|溜めて|全部飲)"
    ),
    "no_consent": re.compile(
        r"(?:無断|勝手に|本人(?:は|が)(?:嫌|拒|望んで|口から)|同意(?:なし|なく|を取らず|の手間)|指示なし|指示書が切れ|免許(?:なし|はない|がない|なしで)"
        r"|無資格|届出なし|研修も受けず|自分の判断で|診断を受けていない|許可なく)"
    ),
    "acquire": re.compile(
        r"(?:手に入|入手|買える|個人輸入|横流し|転売|売りたい|売れる|仕入れ|持ち出|持ち帰|抜いて|複数の(?:病院|クリニック)|余った|譲って"
        r"|隠語|メルカリ|闇)"
    ),
    "forge": re.compile(
        r"(?:偽造|改ざん|改竄|水増し|架空|さかのぼ|遡って|加工して|書き換え|でっちあげ|捏造|偽の|にせの|本物と見分け|それっぽく|重く書いて)"
    ),
    "spread": re.compile(
        r"(?:拡散|しぇあしたくなる|ばずる|うける感じ|説得力|台本|投稿を書|ちらしを|ぽっぷに|煽)"
    ),
}


def intent_signals(text: str) -> frozenset[str]:
    """Names of the named signals found in ``text`` (canonical: lower case, hiragana)."""
    return frozenset(name for name, pattern in _SIGNALS.items() if pattern.search(text))


@cache
def _tagger() -> Any:
    import fugashi

    return fugashi.Tagger()


def _words(text: str) -> list[str]:
    """Lemmas (dictionary forms) of the text's morphemes: 飲ませたい and 飲ませる meet."""
    out = []
    for word in _tagger()(text):
        lemma = getattr(word.feature, "lemma", None) or word.surface
        out.append(lemma.split("-")[0])
    return out


def _features(text: str) -> Iterator[str]:
    for n in (1, 2, 3, 4):
        for i in range(len(text) - n + 1):
            yield text[i : i + n]
    words = _words(text)
    for i, word in enumerate(words):
        yield "w:" + word
        if i:
            yield "w2:" + words[i - 1] + "|" + word
    for name, pattern in _SIGNALS.items():
        if pattern.search(text):
            yield f"#sig:{name}"
            yield f"#sig:{name}"  # counted twice: a named signal weighs like a few n-grams


@cache
def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer=lambda text: list(_features(text)), n_features=N_FEATURES, alternate_sign=False, norm="l2"
    )


def sparse_features(text: str) -> tuple[Any, Any]:
    """The hashed, L2-normalised feature vector of ``text`` as (indices, values).

    Exactly what ``HashingVectorizer(n_features=N_FEATURES, alternate_sign=False,
    norm="l2")`` computes (the model is fitted with it), without its per-call overhead:
    one murmurhash per feature, then a gather of coefficients — a few hundred
    microseconds per prompt instead of milliseconds.
    """
    import numpy as np
    from sklearn.utils import murmurhash3_32

    counts: dict[int, float] = {}
    for feature in _features(text):
        h = murmurhash3_32(feature, seed=0)
        index = (2147483647 - (N_FEATURES - 1)) % N_FEATURES if h == -2147483648 else abs(h) % N_FEATURES
        counts[index] = counts.get(index, 0.0) + 1.0
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    return index, values / np.sqrt(values @ values)


@dataclass(frozen=True, slots=True)
class Scores:
    attack: float
    """P(harmful request or injection)."""
    injection_share: float
    """P(injection | attack): above one half, the injection rail owns the prompt."""
    category: str
    category_score: float

    @property
    def is_injection(self) -> bool:
        return self.injection_share >= 0.5


@dataclass(frozen=True, slots=True, eq=False)
class IntentModel:
    attack: tuple[Any, float]
    injection: tuple[Any, float]
    categories: tuple[Any, Any]
    """(coefficients: n_categories × n_features, intercepts)."""
    meta: dict[str, Any]

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.meta.get("thresholds", {"attack": 0.5}))

    def score_views(self, views: Sequence[str]) -> Scores:
        """Scores of the worst of several readings of one text (canonical, reversed, decoded)."""
        import numpy as np

        best = -np.inf
        worst: tuple[Any, Any] | None = None
        for view in views:
            index, values = sparse_features(view)
            if not len(index):
                continue
            attack = float(self.attack[0][index] @ values) + self.attack[1]
            if attack > best:
                best, worst = attack, (index, values)
        if worst is None:
            return Scores(0.0, 0.0, CATEGORIES[0], 0.0)
        # Kind and hazard are read on the worst view: the reading that made it an attack.
        injection = float(self.injection[0][worst[0]] @ worst[1]) + self.injection[1]
        logits = self.categories[0][:, worst[0]] @ worst[1] + self.categories[1]
        top = int(np.argmax(logits))
        return Scores(
            attack=_sigmoid(best),
            injection_share=_sigmoid(injection),
            category=CATEGORIES[top],
            category_score=_sigmoid(float(logits[top])),
        )

    def save(self, path: Path) -> None:
        import numpy as np

        arrays = {
            "attack": self.attack[0].astype("float32"),
            "injection": self.injection[0].astype("float32"),
            "categories": self.categories[0].astype("float32"),
            "category_bias": np.asarray(self.categories[1], dtype="float64"),
            "bias": np.array([self.attack[1], self.injection[1]], dtype="float64"),
        }
        save_weights(path, arrays, self.meta)

    @classmethod
    def load(cls, path: Path | None = None) -> IntentModel:
        arrays, meta = load_weights(
            path or default_model_path(),
            what="guard model",
            version=MODEL_VERSION,
            n_features=N_FEATURES,
            rebuild="jmedllm guard train",
        )
        return cls(
            (arrays["attack"], float(arrays["bias"][0])),
            (arrays["injection"], float(arrays["bias"][1])),
            (arrays["categories"], arrays["category_bias"]),
            meta,
        )


def default_model_path() -> Path:
    return Path(str(resources.files("jmedllm.guard") / "data" / "intent_model.npz"))


@cache
def load_intent_model(path: str | None = None) -> IntentModel:
    """The model, loaded once per process (rails of every policy share it)."""
    return IntentModel.load(Path(path) if path else None)


def _sigmoid(x: float) -> float:
    import math

    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def nb_scale(matrix: Any, positive: Sequence[bool], alpha: float = 1.0) -> Any:
    """Per-feature weights |log-count ratio| of a feature's presence in the two classes.

    NB-SVM (Wang & Manning, 2012): a logistic regression on features scaled by how much
    more often they occur in one class than the other learns from few examples what a
    plain one needs many for. On dev, at the same false-block bound, it blocked 0.853 of
    harmful requests against 0.837 and 0.823 of injections against 0.797, with fewer
    benign prompts blocked (0.022 against 0.026). The scale is folded into the saved
    coefficients, so scoring is unchanged.
    """
    import numpy as np

    present = matrix.copy()
    present.data[:] = 1.0
    y = np.asarray(positive, dtype=bool)
    p = alpha + np.asarray(present[y].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[~y].sum(axis=0)).ravel()
    return np.abs(np.log((p / p.sum()) / (q / q.sum())))


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    categories: Sequence[str | None],
    *,
    c: float = 8.0,
) -> IntentModel:
    """Fit the three heads on canonical texts labelled ``harmful``, ``injection`` or ``benign``
    (thresholds are set afterwards, on dev). The attack head is an NB-SVM (:func:`nb_scale`)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    matrix = _vectorizer().transform(list(texts)).tocsr()

    def head(rows: Sequence[int], positive: Sequence[bool], *, nb: bool = False) -> tuple[Any, float]:
        features = matrix[list(rows)]
        scale = nb_scale(features, positive) if nb else None
        if scale is not None:
            features = features.multiply(scale).tocsr()
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, solver="liblinear")
        model.fit(features, list(positive))
        coef = model.coef_[0] if scale is None else model.coef_[0] * scale
        return coef, float(model.intercept_[0])

    everything = range(len(texts))
    attacks = [i for i, label in enumerate(labels) if label != "benign"]
    attack = head(everything, [label != "benign" for label in labels], nb=True)
    injection = head(attacks, [labels[i] == "injection" for i in attacks])

    rows = [i for i, cat in enumerate(categories) if cat]
    coefs, biases = [], []
    for category in CATEGORIES:
        is_category = [categories[i] == category for i in rows]
        if not any(is_category):
            coefs.append(np.zeros(N_FEATURES))
            biases.append(-10.0)
            continue
        coef, bias = head(rows, is_category)
        coefs.append(coef)
        biases.append(bias)
    meta = {
        "version": MODEL_VERSION,
        "n_features": N_FEATURES,
        "c": c,
        "examples": len(texts),
        "attack_head": "nb-svm",
    }
    return IntentModel(attack, injection, (np.vstack(coefs), np.array(biases)), meta)
