"""Hand-built telemetry event streams (docs/telemetry-events.md) for the signal tests.

Each helper appends what a browser would send for one action: a character key is a `key` event and
the `input` event it causes, at the same t. The builder tracks each field's length so pos/len are
what the page would report."""

from telemetry.features import FeatureContext, features_compute


class Stream:
    def __init__(self, field: str = "text") -> None:
        self.events: list[dict] = []
        self.field = field
        self.length = 0

    def add(self, t: float, kind: str, **data) -> "Stream":
        self.events.append({"seq": len(self.events) + 1, "t": t, "kind": kind, "data": data})
        return self

    def key(self, t: float, cls: str = "letter", *, pos: int | None = None, trusted: bool = True) -> "Stream":
        """A character key and its one-character insertion (at the end unless pos is given)."""
        self.add(t, "key", cls=cls, field=self.field, trusted=trusted)
        pos = self.length if pos is None else pos
        self.length += 1
        it = "insertLineBreak" if cls == "enter" else "insertText"
        return self.add(t, "input", it=it, pos=pos, d=1, len=self.length, field=self.field, trusted=trusted)

    def keys(self, times, cls: str = "letter") -> "Stream":
        for t in times:
            self.key(t, cls)
        return self

    def backspace(self, t: float) -> "Stream":
        self.add(t, "key", cls="backspace", field=self.field, trusted=True)
        pos = self.length
        self.length -= 1
        return self.add(
            t, "input", it="deleteContentBackward", pos=pos, d=-1, len=self.length, field=self.field, trusted=True
        )

    def insert(self, t: float, chars: int, it: str, *, trusted: bool = True) -> "Stream":
        """An input event inserting `chars` characters at the end with no key behind it."""
        pos = self.length
        self.length += chars
        return self.add(t, "input", it=it, pos=pos, d=chars, len=self.length, field=self.field, trusted=trusted)

    def paste(self, t: float, chars: int, src: str = "external") -> "Stream":
        self.add(t, "paste", len=chars, src=src, h="0123456789abcdef", field=self.field, trusted=True)
        return self.insert(t, chars, "insertFromPaste")

    def rev(self, t: float, text: str, why: str = "pause") -> "Stream":
        return self.add(t, "rev", field=self.field, text=text, why=why)

    def wire(self) -> list[dict]:
        """The events as the browser sends them: {"seq", "t", "k", ...fields}."""
        return [{"seq": e["seq"], "t": e["t"], "k": e["kind"], **e["data"]} for e in self.events]


def compute(stream: Stream | list, **context) -> tuple[dict, dict]:
    events = stream.events if isinstance(stream, Stream) else stream
    return features_compute(events, FeatureContext(**context))


def pure_paste() -> Stream:
    """(a) Focus, Ctrl+V (a modifier and a letter key), one 400-character paste from outside, submit."""
    s = Stream()
    s.add(500, "focus", field="text", trusted=True)
    s.add(2000, "key", cls="modifier", field="text", trusted=True)
    s.add(2050, "key", cls="letter", field="text", trusted=True)
    s.paste(2060, 400)
    return s.rev(5000, "x" * 400, why="submit")


def composed_sentence() -> Stream:
    """(b) "The cat" typed, the t corrected to r, "is." after a pause, a look at reference r1 (the
    editor blurred meanwhile), then "red " typed back in the middle of the text.

    Writing-key times (ms): 1800 2000 2150 2400(space) 2700 2850 3100 3400(backspace) 3600 3800(space)
    6300 6450 6600(punct) 12600 12800 13000 13300(space)."""
    s = Stream()
    s.add(1000, "focus", field="text", trusted=True)
    s.keys([1800, 2000, 2150]).key(2400, "space").keys([2700, 2850, 3100])  # "The cat"
    s.backspace(3400)  # "The ca"
    s.key(3600).key(3800, "space")  # "The car "
    s.keys([6300, 6450]).key(6600, "punct")  # "The car is."
    s.rev(8700, "The car is.")
    s.add(8800, "blur", field="text", trusted=True)
    s.add(9000, "nav", ref="r1", action="open", trusted=True)
    s.add(10000, "scroll", ref="r1", frac=0.4, trusted=True)
    s.add(11000, "scroll", ref="r1", frac=0.8, trusted=True)
    s.add(12000, "nav", ref="r1", action="close", trusted=True)
    s.add(12100, "focus", field="text", trusted=True)
    s.add(12300, "key", cls="nav", field="text", trusted=True)  # caret back after "The "
    for i, t in enumerate([12600, 12800, 13000]):
        s.key(t, pos=4 + i)
    s.key(13300, "space", pos=7)  # "The red car is."
    return s.rev(14000, "The red car is.", why="submit")


def metronome(keys: int = 120, step: float = 150.0) -> Stream:
    """(c) A transcription at exactly `step` ms per key from t = 1000, no pause, no correction."""
    s = Stream()
    s.keys([1000 + step * i for i in range(keys)])
    return s.rev(1000 + step * (keys - 1) + 150, "y" * keys, why="submit")
