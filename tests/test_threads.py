"""Tapes are per thread, as TensorFlow's tape stack is thread-local: a tape records only the ops of the
thread that entered it, and threads differentiate concurrently without seeing each other's tapes."""

import threading

import numpy as np

import tapegrad as tf


def run_in_thread(fn):
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as e:  # re-raised in the main thread
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def test_a_tape_does_not_record_ops_of_another_thread():
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y_other = run_in_thread(lambda: x * 5.0)  # runs while the tape is recording, in another thread
        y_here = x * 3.0
    assert tape.gradient(y_other, x) is None
    np.testing.assert_allclose(float(tape.gradient(y_here, x)), 3.0)


def test_interleaved_threads_each_see_only_their_own_tape():
    x = tf.constant(2.0)
    main_entered, other_done = threading.Event(), threading.Event()
    out = {}

    def other():
        main_entered.wait(5)
        with tf.GradientTape() as t2:
            t2.watch(x)
            y2 = x * x * x
        out["grad"] = t2.gradient(y2, x)
        out["y"] = x * 7.0  # after its own tape closed, while the main tape still records
        other_done.set()

    th = threading.Thread(target=other)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        th.start()
        main_entered.set()
        assert other_done.wait(5)
        y = x * x
    th.join()
    np.testing.assert_allclose(float(out["grad"]), 12.0)
    assert tape.gradient(out["y"], x) is None
    np.testing.assert_allclose(float(tape.gradient(y, x)), 4.0)


def test_variables_read_in_another_thread_are_not_watched():
    v = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        r = run_in_thread(lambda: v * 2.0)
    assert tape.watched_variables() == ()
    assert tape.gradient(r, v) is None


def test_stop_recording_in_one_thread_does_not_pause_another():
    x = tf.constant(1.5)
    paused, resume = threading.Event(), threading.Event()
    out = {}

    def other():
        with tf.GradientTape() as t:
            t.watch(x)
            paused.wait(5)  # the main thread is inside stop_recording now
            y = tf.sin(x)
            resume.set()
        out["g"] = t.gradient(y, x)

    th = threading.Thread(target=other)
    th.start()
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tape.stop_recording():
            paused.set()
            assert resume.wait(5)
    th.join()
    np.testing.assert_allclose(float(out["g"]), np.cos(1.5), rtol=1e-6)


def test_many_threads_differentiate_concurrently():
    n_threads, steps = 8, 200
    start = threading.Barrier(n_threads)
    results = [None] * n_threads
    errors = []

    def work(k):
        try:
            start.wait(5)
            w = tf.Variable(float(k + 1))
            x = tf.constant(np.linspace(0.0, 1.0, 5, dtype=np.float32))
            for _ in range(steps):
                with tf.GradientTape() as tape:
                    y = tf.reduce_sum(tf.square(w * x - 1.0))
                g = tape.gradient(y, w)
            results[k] = (float(w), float(g), tape.watched_variables() == (w,))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    xs = np.linspace(0.0, 1.0, 5)
    for k, (w, g, watched) in enumerate(results):
        assert w == k + 1 and watched
        np.testing.assert_allclose(g, np.sum(2 * (w * xs - 1.0) * xs), rtol=1e-5)


def test_after_threads_finish_the_main_thread_has_no_stray_tapes():
    x = tf.constant(1.0)

    def leave_a_tape_open():
        tape = tf.GradientTape()
        tape.__enter__()  # never exited: dies with the thread's state
        tape.watch(x)
        return x * 2.0

    run_in_thread(leave_a_tape_open)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 4.0
    np.testing.assert_allclose(float(tape.gradient(y, x)), 4.0)
    z = x * 3.0  # no tape in this thread: plain computation
    assert float(z) == 3.0


def test_a_tape_left_open_in_a_finished_thread_gives_back_its_share_of_the_active_count():
    """Ops take the recording path while any thread has a tape open; a thread that ends with one still entered
    (or an accumulator) must not keep every other thread's ops on that path."""
    import gc

    from tapegrad._core.tensor import _active

    before = _active[0]

    def leave_open():
        tf.GradientTape().__enter__()
        tf.autodiff.ForwardAccumulator(tf.constant(1.0), tf.constant(1.0)).__enter__()
        assert _active[0] == before + 2

    run_in_thread(leave_open)
    gc.collect()
    assert _active[0] == before
