"""Cross-request batching, the bounded queue and its admission in parts, tickets, deadlines, close, the cache."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from summarizer.errors import DeadlineExceeded, Overloaded
from summarizer.translate import (
    BatchQueue,
    QueueClosed,
    TranslationCache,
    Translator,
    batching_translator,
    load_engine,
)
from tinymodels import PAIRS

WAIT = 30  # seconds: only reached when the behaviour under test is broken


class GatedEngine:
    """A real engine of the interface that upper-cases sentences, one call at a time, each call held at a gate.

    `started` is set when a call begins; the call then waits until `release` is set (set from the start: no
    gate). `calls` records each call's (sentences, beam size).
    """

    name = "gated"
    max_input_tokens = 100
    default_beam_size = 1

    def __init__(self, gated: bool = False):
        self.tokens_out = 0
        self.calls: list[tuple[list[str], int]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not gated:
            self.release.set()

    def describe(self) -> dict:
        return {"name": self.name, "engine": "gated"}

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    def cache_key(self) -> tuple:
        return ("gated",)

    def translate(self, sentences: list[str], beam_size: int | None = None) -> list[str]:
        self.calls.append((list(sentences), beam_size or self.default_beam_size))
        self.started.set()
        assert self.release.wait(WAIT), "the test never released the engine"
        self.tokens_out += len(sentences)
        return [f"{s.upper()}/{beam_size}" for s in sentences]


def queue_for(engine: GatedEngine, **options) -> BatchQueue:
    defaults = {"max_batch": 16, "max_wait_s": 0, "max_pending": 100, "name": "test"}
    return BatchQueue(engine.translate, **(defaults | options))


def in_thread(call, *args, **kwargs) -> tuple[threading.Thread, dict]:
    """Run call in a thread; the returned dict gets its "result" or "error"."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = call(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the test looks at whichever error it was
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


# -- the front on the tiny model ---------------------------------------------------------------


@pytest.fixture(scope="module")
def marian(settings, tiny_models):
    """The transformers engine on the tiny model, shared by the fronts below (one front at a time uses it)."""
    return load_engine(settings.replace(translation_engine="transformers"), tiny_models["translation"])


def test_concurrent_requests_share_batches(settings, marian):
    translator = batching_translator(marian, settings.replace(batch_wait_ms=50, batch_gather_ms=WAIT * 1000))
    requests = [[s] for s, _ in PAIRS[:6]]
    tickets = [translator.expecting() for _ in requests]  # six requests arrived: every round waits for them
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda r, t: translator.translate_sentences(r, ticket=t), requests, tickets))
    assert results == [[t] for _, t in PAIRS[:6]]
    assert translator.queue.pieces_translated == 6
    assert translator.queue.batches == 1  # the sentences of the six requests were translated together
    translator.close()


def test_cache_counts_hits_and_skips_the_model(settings, marian):
    translator = batching_translator(marian, settings)
    sentences = [PAIRS[0][0], PAIRS[1][0], PAIRS[0][0]]
    assert translator.translate_sentences(sentences) == [PAIRS[0][1], PAIRS[1][1], PAIRS[0][1]]
    translated = translator.queue.pieces_translated
    assert translated == 2  # the repeated sentence is translated once
    assert translator.translate_sentences([PAIRS[1][0]]) == [PAIRS[1][1]]
    assert translator.queue.pieces_translated == translated
    assert translator.cache.stats()["hits"] >= 1
    assert translator.translate_sentences([PAIRS[1][0]], beam_size=4) == [PAIRS[1][1]]
    assert translator.queue.pieces_translated == translated + 1  # another beam size is another translation
    translator.close()


def test_a_request_over_the_queue_bound_is_admitted_in_parts_on_an_idle_queue(settings, marian):
    # Many short sentences, more than the queue holds at once (once "queue is full (0 sentences waiting)").
    translator = batching_translator(
        marian, settings.replace(max_queued_sentences=5, batch_size=2, batches_per_round=1, translation_cache_size=0)
    )
    sentences = [s for s, _ in PAIRS[:6]] * 3  # six different sentences: more than the five places
    assert translator.translate_sentences(sentences) == [t for _, t in PAIRS[:6]] * 3
    assert translator.queue.batches == 3  # six distinct sentences, rounds of two
    translator.close()


def test_cache_is_bounded():
    cache = TranslationCache(2)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") is None and cache.get("c") == "C"
    assert cache.stats() == {"entries": 2, "max_entries": 2, "hits": 1, "misses": 1}


# -- the queue ---------------------------------------------------------------------------------


def test_full_queue_is_overloaded_with_retry_after():
    engine = GatedEngine(gated=True)
    queue = queue_for(engine, max_batch=2, max_pending=3)
    first, outcome = in_thread(queue.submit, ["a", "b", "c"], WAIT)  # admitted in parts: ["a", "b"], ["c"]
    assert engine.started.wait(WAIT)
    with pytest.raises(Overloaded) as err:  # the queue is full of another request's sentences
        queue.submit(["d"], WAIT)
    assert err.value.status == 503 and err.value.retry_after >= 1
    engine.release.set()
    first.join()
    assert outcome["result"] == ["A/None", "B/None", "C/None"]
    assert queue.submit(["d"], WAIT) == ["D/None"]  # room again once the queue drained
    queue.close()


def test_a_large_request_waits_for_room_behind_others_and_is_served():
    engine = GatedEngine(gated=True)
    queue = queue_for(engine, max_batch=2, max_pending=4)
    first, first_outcome = in_thread(queue.submit, ["a", "b"], WAIT)
    assert engine.started.wait(WAIT)  # "a", "b" are being translated: two places left
    large, large_outcome = in_thread(queue.submit, list("cdefgh"), WAIT)  # its first part fits, the rest waits
    engine.release.set()
    first.join()
    large.join()
    assert first_outcome["result"] == ["A/None", "B/None"]
    assert large_outcome["result"] == [f"{p.upper()}/None" for p in "cdefgh"]
    assert all(len(sentences) <= 2 for sentences, _ in engine.calls)
    assert queue.depth == 0
    queue.close()


def test_while_an_admitted_request_waits_for_room_a_newcomer_is_refused():
    engine = GatedEngine(gated=True)
    queue = queue_for(engine, max_batch=2, max_pending=5)
    large, outcome = in_thread(queue.submit, list("abcdef"), WAIT)
    # "ab" and "cd" were queued at once, and "ef" (4 + 2 > 5) waits for room, all before the worker took "ab"
    assert engine.started.wait(WAIT)
    with pytest.raises(Overloaded):
        queue.submit(["z"], WAIT)  # one place is free, but the admitted request's "ef" comes first
    engine.release.set()
    large.join()
    assert outcome["result"] == [f"{p.upper()}/None" for p in "abcdef"]
    assert [sentences for sentences, _ in engine.calls] == [["a", "b"], ["c", "d"], ["e", "f"]]
    queue.close()


def test_deadline_answers_and_frees_the_place():
    engine = GatedEngine(gated=True)
    queue = queue_for(engine, max_batch=1, max_pending=10)
    blocker, _ = in_thread(queue.submit, ["x"], WAIT)
    assert engine.started.wait(WAIT)  # the worker is busy with "x": the next request's parts only wait
    with pytest.raises(DeadlineExceeded) as err:
        queue.submit(["a", "b", "c"], 0.1)
    assert err.value.status == 504
    assert queue.depth == 1  # its parts were dropped; only "x" is left, being translated
    engine.release.set()
    blocker.join()
    assert queue.submit(["d"], WAIT) == ["D/None"]
    assert [sentences for sentences, _ in engine.calls] == [["x"], ["d"]]  # "a", "b", "c" were never translated
    queue.close()


def test_a_failing_batch_fails_its_requests_not_the_worker():
    class Flaky(GatedEngine):
        def translate(self, sentences, beam_size=None):
            if not self.calls:
                self.calls.append((sentences, beam_size))
                raise RuntimeError("boom")
            return super().translate(sentences, beam_size)

    queue = queue_for(Flaky())
    with pytest.raises(RuntimeError):
        queue.submit(["x"], WAIT)
    assert queue.submit(["y"], WAIT) == ["Y/None"]
    queue.close()


def test_requests_with_different_decoding_never_share_a_batch():
    engine = GatedEngine()
    queue = queue_for(engine, max_gather_s=WAIT)
    jobs = [(["a", "b"], 1), (["c"], 4), (["d"], 1), (["e", "f"], 4)]
    tickets = [queue.expecting() for _ in jobs]  # four requests arrived: the first round waits for them all
    threads = [in_thread(queue.submit, ps, WAIT, key=k, ticket=t) for (ps, k), t in zip(jobs, tickets)]
    for thread, _ in threads:
        thread.join()
    assert [outcome["result"] for _, outcome in threads] == [[f"{p.upper()}/{k}" for p in ps] for ps, k in jobs]
    rounds = sorted((sorted(sentences), beam) for sentences, beam in engine.calls)
    assert rounds == [(["a", "b", "d"], 1), (["c", "e", "f"], 4)]  # one round per decoding
    queue.close()


# -- tickets -----------------------------------------------------------------------------------


def rounds_with_a_late_request(announce: bool) -> list[list[str]]:
    """The rounds made when "early" is submitted while another request has arrived (with a ticket if
    announce) and submits "late" only once it has seen a round start, or waited a while for one."""
    engine = GatedEngine()
    queue = queue_for(engine, max_gather_s=WAIT)
    arrived = threading.Event()

    def late_request():
        ticket = queue.expecting() if announce else None
        arrived.set()
        engine.started.wait(1 if announce else WAIT)  # announced: the worker must not start without it
        return queue.submit(["late"], WAIT, ticket=ticket)

    late, outcome = in_thread(late_request)
    assert arrived.wait(WAIT)
    assert queue.submit(["early"], WAIT) == ["EARLY/None"]
    late.join()
    assert outcome["result"] == ["LATE/None"]
    queue.close()
    return [sentences for sentences, _ in engine.calls]


def test_the_worker_waits_for_announced_requests():
    assert rounds_with_a_late_request(announce=True) == [["early", "late"]]


def test_the_worker_does_not_wait_for_requests_that_did_not_announce():
    assert rounds_with_a_late_request(announce=False) == [["early"], ["late"]]


def test_a_cancelled_ticket_is_not_waited_for():
    engine = GatedEngine()
    queue = queue_for(engine, max_gather_s=10 * WAIT)
    with queue.expecting():
        pass  # an English text: nothing to translate
    queue.expecting().cancel()
    # were either ticket still waited for, the round would wait max_gather_s, past this deadline
    assert queue.submit(["x"], WAIT) == ["X/None"]
    queue.close()


def test_a_ticket_handed_to_an_empty_submit_is_not_waited_for():
    engine = GatedEngine()
    queue = queue_for(engine, max_gather_s=10 * WAIT)
    assert queue.submit([], WAIT, ticket=queue.expecting()) == []  # every sentence came from the cache
    assert queue.submit(["x"], WAIT) == ["X/None"]
    queue.close()


# -- close -------------------------------------------------------------------------------------


def test_close_ends_the_worker_and_fails_what_is_queued_and_what_comes_after():
    engine = GatedEngine(gated=True)
    queue = queue_for(engine, max_batch=1, name="closing")
    request, outcome = in_thread(queue.submit, ["a", "b"], WAIT)  # parts ["a"] and ["b"], queued together
    assert engine.started.wait(WAIT)  # "a" is being translated, "b" waits in the queue
    queue.close(timeout_s=0)  # closed now; the worker is still held in its round
    engine.release.set()  # the round under way finishes
    queue.close()  # and the worker ends
    request.join()
    assert isinstance(outcome["error"], QueueClosed)
    assert engine.calls == [(["a"], 1)] and engine.tokens_out == 1  # "a" was translated, "b" never
    assert "closing-batcher" not in {thread.name for thread in threading.enumerate()}
    with pytest.raises(QueueClosed) as err:
        queue.submit(["c"], WAIT)
    assert err.value.status == 503 and "closed" in err.value.message


def test_the_front_closes_its_queue():
    translator = Translator(GatedEngine())
    assert translator.translate_sentences(["a b"]) == ["A B/1"]
    translator.close()
    with pytest.raises(QueueClosed):
        translator.translate_sentences(["c"])
