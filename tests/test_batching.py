"""Cross-request batching, the bounded queue, the deadline and the cache."""

import threading
import time
from contextlib import nullcontext
from concurrent.futures import ThreadPoolExecutor

import pytest

from summarizer.errors import DeadlineExceeded, Overloaded
from summarizer.translate import batching
from summarizer.translate.batching import BatchQueue, TranslationCache
from summarizer.translate.marian import MarianTranslator
from tinymodels import PAIRS


def test_concurrent_requests_share_batches(settings, tiny_models):
    translator = MarianTranslator(tiny_models["translation"], settings.replace(batch_wait_ms=50))
    requests = [[s] for s, _ in PAIRS[:6]]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(translator.translate_sentences, requests))
    assert results == [[t] for _, t in PAIRS[:6]]
    assert translator.queue.pieces_translated == 6
    assert translator.queue.batches < 6  # sentences of different requests were translated together


def test_cache_counts_hits_and_skips_the_model(settings, tiny_models):
    translator = MarianTranslator(tiny_models["translation"], settings)
    sentences = [PAIRS[0][0], PAIRS[1][0], PAIRS[0][0]]
    assert translator.translate_sentences(sentences) == [PAIRS[0][1], PAIRS[1][1], PAIRS[0][1]]
    translated = translator.queue.pieces_translated
    assert translated == 2  # the repeated sentence is translated once
    assert translator.translate_sentences([PAIRS[1][0]]) == [PAIRS[1][1]]
    assert translator.queue.pieces_translated == translated
    assert translator.cache.stats()["hits"] >= 1
    assert translator.translate_sentences([PAIRS[1][0]], num_beams=4) == [PAIRS[1][1]]
    assert translator.queue.pieces_translated == translated + 1  # another beam size is another translation


def test_cache_is_bounded():
    cache = TranslationCache(2)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") is None and cache.get("c") == "C"
    assert cache.stats() == {"entries": 2, "max_entries": 2, "hits": 1, "misses": 1}


def slow_upper(pieces, key):
    time.sleep(0.3)
    return [p.upper() for p in pieces]


def test_full_queue_is_overloaded_with_retry_after():
    queue = BatchQueue(slow_upper, max_batch=2, max_wait_s=0, max_pending=3)
    worker = threading.Thread(target=queue.submit, args=(["a", "b", "c"], 5))
    worker.start()
    time.sleep(0.05)
    with pytest.raises(Overloaded) as err:
        queue.submit(["d"], 5)
    assert err.value.status == 503 and err.value.retry_after >= 1
    worker.join()
    assert queue.submit(["d"], 5) == ["D"]  # room again once the queue drained


def test_deadline_answers_and_frees_the_place():
    queue = BatchQueue(slow_upper, max_batch=1, max_wait_s=0, max_pending=10)
    with pytest.raises(DeadlineExceeded) as err:
        queue.submit(["a", "b", "c"], 0.1)
    assert err.value.status == 504
    time.sleep(1.0)
    assert queue.depth == 0


def test_a_failing_batch_fails_its_requests_not_the_worker():
    calls = []

    def flaky(pieces, key):
        calls.append(pieces)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return pieces

    queue = BatchQueue(flaky, max_batch=4, max_wait_s=0, max_pending=10)
    with pytest.raises(RuntimeError):
        queue.submit(["x"], 5)
    assert queue.submit(["y"], 5) == ["y"]


def recording(calls):
    def translate(pieces, key):
        calls.append((list(pieces), key))
        time.sleep(0.05)
        return [f"{p}/{key}" for p in pieces]

    return translate


def test_requests_with_different_decoding_never_share_a_batch():
    calls = []
    queue = BatchQueue(recording(calls), max_batch=16, max_wait_s=0.2, max_pending=100)
    jobs = [(["a", "b"], 1), (["c"], 4), (["d"], 1), (["e", "f"], 4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: queue.submit(job[0], 5, key=job[1]), jobs))
    assert results == [[f"{p}/{key}" for p in pieces] for pieces, key in jobs]
    assert sorted(p for pieces, _ in calls for p in pieces) == list("abcdef")
    for pieces, key in calls:  # each call decoded one key's sentences only
        assert all(p in {q for ps, k in jobs if k == key for q in ps} for p in pieces)
    assert len(calls) == 2  # and the jobs of each key were gathered into one call


def rounds_with_a_late_request(queue: BatchQueue, calls: list, late_request) -> list:
    """The rounds the queue made when "early" was submitted while late_request(ready) ran in another thread
    (it sets ready when it has arrived, then prepares and submits "late")."""
    ready = threading.Event()
    thread = threading.Thread(target=late_request, args=(ready,))
    thread.start()
    ready.wait()
    queue.submit(["early"], 5)
    thread.join()
    return [pieces for pieces, _ in calls]


def test_the_worker_waits_for_announced_requests_only():
    def run(announce: bool) -> list:
        calls = []
        queue = BatchQueue(recording(calls), max_batch=16, max_wait_s=0, max_pending=100, max_gather_s=5)

        def late_request(ready):  # arrives now, submits after 0.3 s of preparation (detection, splitting)
            with queue.expecting() if announce else nullcontext():
                ready.set()
                time.sleep(0.3)
                queue.submit(["late"], 5)

        return rounds_with_a_late_request(queue, calls, late_request)

    assert run(announce=True) == [["early", "late"]]
    assert run(announce=False) == [["early"], ["late"]]


def test_an_announced_request_is_not_left_out_while_its_job_is_being_queued(monkeypatch):
    calls = []
    queue = BatchQueue(recording(calls), max_batch=16, max_wait_s=0, max_pending=100, max_gather_s=5)
    job = batching._Job

    def slow_job(*args, **kwargs):  # a request that loses the CPU between its announcement and its job
        time.sleep(0.2)
        return job(*args, **kwargs)

    monkeypatch.setattr(batching, "_Job", slow_job)

    def late_request(ready):
        with queue.expecting():
            ready.set()
            time.sleep(0.1)
            queue.submit(["late"], 5)

    assert rounds_with_a_late_request(queue, calls, late_request) == [["early", "late"]]


def test_an_announced_request_that_never_submits_does_not_hold_the_queue():
    calls = []
    queue = BatchQueue(recording(calls), max_batch=16, max_wait_s=0, max_pending=100, max_gather_s=0.5)
    with queue.expecting():
        pass  # an English text: nothing to translate
    start = time.monotonic()
    assert queue.submit(["x"], 5) == ["x/None"]
    assert time.monotonic() - start < 0.4  # no wait for the request that left
