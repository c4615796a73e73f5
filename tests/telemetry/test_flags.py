"""Flags on the hand-built streams: which fire, with the values and thresholds that fired them."""

import pytest
from django.core.exceptions import ValidationError

from telemetry.flags import DEFAULT_THRESHOLDS, flag_thresholds_validate, flags_evaluate, thresholds_resolve
from tests.telemetry.streams import Stream, composed_sentence, compute, metronome, pure_paste


def fired(stream, overrides=None, **context) -> dict:
    features, _ = compute(stream, **context)
    return {flag["flag"]: flag for flag in flags_evaluate(features=features, overrides=overrides)}


def test_pure_paste_is_paste_dominant():
    flags = fired(pure_paste(), final_texts={"text": "x" * 400})
    paste = flags["paste_dominant"]
    assert paste["values"]["pasted_fraction"] == 1.0
    assert paste["values"]["pasted_chars"] == 400
    assert paste["values"]["paste_count_by_source"] == {"external": 1}
    assert paste["threshold"] == {"min_pasted_fraction": 0.5, "min_final_length": 20}
    assert "100% of the submitted text" in paste["explanation"]
    # 400 characters in 5 s of active time (4800 per minute) is also faster than anyone types.
    assert set(flags) == {"paste_dominant", "implausible_speed"}
    assert flags["implausible_speed"]["values"]["final_chars_per_active_minute"] == pytest.approx(4800)


def test_composed_sentence_raises_no_flag():
    flags = fired(composed_sentence(), final_texts={"text": "The red car is."}, expected_minutes=5, difficulty=4)
    assert flags == {}


def test_metronomic_transcription_fires_transcription_rhythm_only():
    flags = fired(metronome(), final_texts={"text": "y" * 120})
    assert set(flags) == {"transcription_rhythm"}
    rhythm = flags["transcription_rhythm"]
    assert rhythm["values"] == {"iki_log_sd": 0.0, "production_keys": 120, "pauses_2s": 0, "revision_ratio": 0.0}
    assert rhythm["threshold"]["max_iki_log_sd"] == 0.15
    assert "120 keys" in rhythm["explanation"]


def test_a_short_metronomic_burst_is_not_enough_keys():
    # 60 keys < the 100 needed before rhythm means anything.
    assert "transcription_rhythm" not in fired(metronome(keys=60), final_texts={"text": "y" * 60})


def test_untrusted_events_are_synthetic_input():
    s = Stream()
    s.keys([1000, 1300, 1500, 2100])
    s.insert(2500, 30, "insertText", trusted=False)  # a script typed 30 characters
    flags = fired(s, final_texts={"text": "v" * 34})
    assert flags["synthetic_input"]["values"]["untrusted_events"] == 1
    # 1 untrusted of the 9 events that reported isTrusted (4 keys + 4 inputs + the script's input).
    assert flags["synthetic_input"]["values"]["untrusted_fraction"] == pytest.approx(1 / 9)
    # Its 30 characters have no key behind them: 30 of 34 inserted characters are silent.
    assert flags["silent_insertion"]["values"]["silent_insert_chars"] == 30
    assert flags["silent_insertion"]["values"]["silent_insert_ratio"] == pytest.approx(30 / 34)


def test_blur_then_large_insertion_is_off_screen_composition():
    s = Stream()
    s.keys([1000, 1200, 1400])
    s.add(5000, "blur", field="text").add(45000, "focus", field="text")  # away 40 s
    s.insert(46000, 250, "insertFromPaste")
    s.add(46000, "paste", len=250, src="external", h="ab", field="text")
    flags = fired(s, final_texts={"text": "u" * 253})
    off = flags["off_screen_composition"]
    assert off["values"] == {"absence_before_large_insert_ms": 40000, "insertion_after_absence_chars": 250}
    assert "away from the editor for 40 s" in off["explanation"]


def test_a_short_absence_before_an_insertion_is_not_flagged():
    s = Stream()
    s.keys([1000, 1200, 1400])
    s.add(5000, "blur", field="text").add(9000, "focus", field="text")  # 4 s: looked at the task
    s.paste(9500, 60, src="task")
    assert "off_screen_composition" not in fired(s, final_texts={"text": "u" * 63})


def test_implausible_keys_per_minute():
    s = Stream()
    s.keys([1000 + 50 * i for i in range(40)])  # 20 keys a second
    flags = fired(s)
    # 40 keys in 2950 ms of active time: 40 / (2950 / 60000) = 813.6 > 800
    assert flags["implausible_speed"]["values"]["keys_per_minute"] == pytest.approx(40 * 60000 / 2950)


def test_per_project_threshold_override():
    # pasted fraction 1.0: fires at the default 0.5, not when the project demands more than 100%.
    stream, context = pure_paste(), {"final_texts": {"text": "x" * 400}}
    assert "paste_dominant" in fired(stream, **context)
    assert "paste_dominant" not in fired(stream, overrides={"paste_dominant": 1.01}, **context)
    # A dict overrides named parameters; false turns a flag off.
    assert "paste_dominant" not in fired(stream, overrides={"paste_dominant": {"min_final_length": 500}}, **context)
    assert "implausible_speed" not in fired(stream, overrides={"implausible_speed": False}, **context)
    # The override is reported as the threshold that was applied.
    flags = fired(stream, overrides={"paste_dominant": 0.9}, **context)
    assert flags["paste_dominant"]["threshold"] == {"min_pasted_fraction": 0.9, "min_final_length": 20}
    # A looser rhythm threshold catches a 60-key metronome.
    loose = {"transcription_rhythm": {"min_keys": 50}}
    assert "transcription_rhythm" in fired(metronome(keys=60), overrides=loose, final_texts={"text": "y" * 60})


def test_invalid_overrides_are_refused_by_validation_and_ignored_at_compute():
    with pytest.raises(ValidationError) as caught:
        flag_thresholds_validate({"paste_dominat": 0.6, "transcription_rhythm": {"min_keys": "many"}})
    errors = caught.value.message_dict
    assert "Unknown flag 'paste_dominat'" in errors["flag_thresholds.paste_dominat"][0]
    assert "min_keys" in errors["flag_thresholds.transcription_rhythm"][0]
    assert flag_thresholds_validate({"paste_dominant": 0.6}) == {"paste_dominant": {"min_pasted_fraction": 0.6}}
    resolved = thresholds_resolve({"paste_dominat": 0.6, "synthetic_input": "x", "silent_insertion": 0.5})
    assert resolved["synthetic_input"] == DEFAULT_THRESHOLDS["synthetic_input"]
    assert resolved["silent_insertion"]["min_silent_ratio"] == 0.5


def test_every_flag_carries_values_threshold_and_explanation():
    s = Stream()
    s.insert(1000, 300, "insertReplacementText", trusted=False)
    flags = flags_evaluate(features=compute(s, final_texts={"text": "p" * 300})[0])
    assert {f["flag"] for f in flags} >= {"silent_insertion", "synthetic_input", "implausible_speed"}
    for flag in flags:
        assert set(flag) == {"flag", "label", "values", "threshold", "explanation"}
        assert flag["values"] and flag["threshold"] and flag["explanation"].endswith(".")
