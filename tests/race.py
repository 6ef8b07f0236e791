# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Two writers at the same moment, for the concurrency scripts"
import threading
import time

from serial_mes import database


def race(name, work, hold=0.5):
    """work(pool, index) for index 0 and 1, each in its own thread and
    transaction (database.run: restarted as trytond would); both first
    attempts start together and each holds its transaction hold seconds
    after its work, so that the other really waits on it. Return, per
    index, {'ok': value} or {'error', 'message'}, with 'attempts'."""
    barrier = threading.Barrier(2)
    results = {}

    def writer(index):
        attempts = []

        def attempt(pool):
            attempts.append(time.monotonic())
            if len(attempts) == 1:
                barrier.wait()
            value = work(pool, index)
            time.sleep(hold)
            return value
        try:
            results[index] = {'ok': database.run(name, attempt)}
        except Exception as exception:
            results[index] = {
                'error': type(exception).__name__,
                'message': getattr(exception, 'message', str(exception)),
                }
        results[index]['attempts'] = len(attempts)

    threads = [threading.Thread(target=writer, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[0], results[1]]
