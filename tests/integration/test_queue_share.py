"""test_queue_share.py: one connection's share of the wait queue.  With
every worker busy and half of --max-queue waiting, an HTTP/2 client that
already has its share (a sixteenth, at least 16) waiting gets 503 for the
excess at once, and another connection still finds room and is served."""
import h2.events

from fake_stack import FakeStack, H2Conn


def test_one_connection_cannot_fill_the_queue(certs):
    # max_queue 32: once 16 wait, a connection may keep 16 waiting.
    s = FakeStack(tls=certs, capacity=1, proxy_args=["--max-queue", "32", "--keepalive", "30",
                                                     "--http2-max-concurrent-streams", "100"])
    try:
        greedy = H2Conn(s.port, tls=True)
        other = H2Conn(s.port, tls=True)
        try:
            greedy.ping()
            other.ping()
            busy = greedy.headers("/sleep?s=2")  # takes the only worker slot
            sids = [greedy.headers("/") for _ in range(25)]
            greedy.ping()  # all 26 were read: 16 wait, 9 were refused
            mine = other.headers("/")
            statuses = [greedy.response(sid)[0] for sid in sids]
            assert statuses.count(503) == 9, statuses
            assert statuses.count(200) == 16, statuses
            assert greedy.response(busy)[0] == 200
            # The other connection was not crowded out.
            assert other.response(mine)[0] == 200
        finally:
            greedy.close()
            other.close()
    finally:
        s.close()
