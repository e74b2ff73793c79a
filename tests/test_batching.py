"""Cross-request batching, the bounded queue, the deadline and the cache."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from summarizer.errors import DeadlineExceeded, Overloaded
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


def test_cache_is_bounded():
    cache = TranslationCache(2)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") is None and cache.get("c") == "C"
    assert cache.stats() == {"entries": 2, "max_entries": 2, "hits": 1, "misses": 1}


def slow_upper(pieces):
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

    def flaky(pieces):
        calls.append(pieces)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return pieces

    queue = BatchQueue(flaky, max_batch=4, max_wait_s=0, max_pending=10)
    with pytest.raises(RuntimeError):
        queue.submit(["x"], 5)
    assert queue.submit(["y"], 5) == ["y"]
