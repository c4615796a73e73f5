"""Frames per second: one token bucket, held per socket by the consumer and per (session, user) for
the HTTP fallback, so both entrances answer a flood with the same `rate_limited` error."""

import threading
import time

from django.conf import settings


class TokenBucket:
    """Frames per second with a burst of one second's worth."""

    def __init__(self, rate: float, *, clock=time.monotonic):
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.at = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def wait_ms(self) -> int:
        return max(1, int((1.0 - self.tokens) / self.rate * 1000))

    def idle_full(self, now: float) -> bool:
        """True when the bucket would be full by now: forgetting it changes nothing."""
        return self.tokens + (now - self.at) * self.rate >= self.capacity


def rate_limited_message(bucket: TokenBucket) -> dict:
    return {
        "type": "error",
        "code": "rate_limited",
        "detail": f"more than {bucket.rate:g} frames per second; nothing stored, resend later",
        "retry_ms": bucket.wait_ms(),
    }


class BucketTable:
    """Buckets by key for requests that do not share a connection (the HTTP fallback). Buckets that
    have refilled are forgotten once the table grows, so it stays as large as the busy keys."""

    PRUNE_AT = 10_000

    def __init__(self):
        self.buckets: dict = {}
        self.lock = threading.Lock()

    def bucket(self, key) -> TokenBucket:
        with self.lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                if len(self.buckets) >= self.PRUNE_AT:
                    now = time.monotonic()
                    self.buckets = {k: b for k, b in self.buckets.items() if not b.idle_full(now)}
                bucket = self.buckets[key] = TokenBucket(settings.TELEMETRY_RATE_LIMIT_FRAMES_PER_S)
            return bucket

    def take(self, key) -> TokenBucket | None:
        """None when a frame may pass; else the bucket that refused it (for its wait)."""
        bucket = self.bucket(key)
        with self.lock:
            return None if bucket.take() else bucket


HTTP_BUCKETS = BucketTable()
