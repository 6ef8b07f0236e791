# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The MQTT bridge: `serial-mes rfid bridge`.

Subscribes to topics on an MQTT broker with QoS 1 in a persistent session
(MQTT 3.1.1, clean session off, a fixed client id), so that the broker keeps
the messages published while the bridge is down.  Each message is one batch
of reads in a shape of serial_mes_rfid.reads; a message that does not name
its reader takes it from the topic level matched by the first "+" of the
subscription (serial-mes/rfid/+/reads: serial-mes/rfid/dock-1/reads is
reader dock-1).

Messages are ingested in groups (up to --max-messages, or what arrived
within --max-wait seconds) in one transaction, and acknowledged (manual
PUBACK) only after that transaction committed.  A crash before the commit
writes nothing and the broker delivers the messages again; a crash between
commit and acknowledgement makes the broker deliver them again too, and the
batch ids (or payload digests) already stored make them duplicates: no read
is lost and none is counted twice.  The network loop reconnects with an
exponential back-off (1 s to --max-backoff).  A message that is rejected
(malformed JSON, unknown reader) is logged on stderr and acknowledged:
redelivering it would not make it better.

At start-up the bridge says how many messages the broker held for its
session.  MQTT has no such query, so before its session connects the bridge
publishes a marker (a fresh token, QoS 1) to serial-mes/bridge/<client
id>/held, a topic its session subscribes to: the broker queues the marker
behind the messages it holds, and the messages that arrive before it are
exactly those.  A new session held nothing.  When the backlog is delivered
and no marker came, the broker dropped it: the session's queue was full and
reads were lost (or the session was made by a bridge without the marker
subscription); the bridge says so.  It also logs the broker's count of
messages dropped for queue limits ($SYS/broker/publish/messages/dropped, as
of the broker's last $SYS update: drops of the last few seconds may be
missing).  data/mosquitto/serial-mes.conf sets limits that a documented
outage does not reach.
"""
import datetime as dt
import logging
import queue
import re
import signal
import sys
import threading
import time
import uuid

logger = logging.getLogger(__name__)

DEFAULT_TOPIC = 'serial-mes/rfid/+/reads'
DROPPED_TOPIC = '$SYS/broker/publish/messages/dropped'
# seconds without a message after which a start-up marker that did not come
# is taken as dropped by the broker
MARKER_GRACE = 5


def marker_topic(client_id):
    "The topic of the start-up marker of the session client_id"
    return 'serial-mes/bridge/%s/held' % re.sub(r'[/+#]', '_', client_id)


def reader_from_topic(subscription, topic):
    "The topic level matched by the first '+' of subscription, or None"
    filters = subscription.split('/')
    if '+' not in filters:
        return None
    levels = topic.split('/')
    index = filters.index('+')
    if index < len(levels):
        return levels[index] or None


class Stats:
    def __init__(self):
        self.messages = self.reads = self.events = self.duplicates = 0
        self.rejected = self.transactions = self.review = 0
        # messages the broker held for the session at start-up (None:
        # not known yet) and its count of dropped messages (all clients)
        self.held = self.broker_dropped = None
        self.marker_missing = None
        self.started = time.monotonic()

    def as_dict(self):
        elapsed = time.monotonic() - self.started
        return {
            'messages': self.messages,
            'reads': self.reads,
            'events': self.events,
            'duplicates': self.duplicates,
            'rejected': self.rejected,
            'review': self.review,
            'transactions': self.transactions,
            'held_at_start': self.held,
            'held_marker_missing': self.marker_missing,
            'broker_dropped': self.broker_dropped,
            'seconds': round(elapsed, 3),
            'reads_per_second': round(self.reads / elapsed, 1)
            if elapsed else 0,
            }


class Bridge:
    "Broker -> Batch.ingest_many(), acknowledging after the commit"

    def __init__(self, database, host='127.0.0.1', port=1883, topics=None,
            client_id='serial-mes-rfid-bridge', login='admin', qos=1,
            max_messages=50, max_wait=0.05, max_backoff=30, username=None,
            password=None, keepalive=30, log=None):
        self.database = database
        self.host = host
        self.port = port
        self.topics = list(topics or [DEFAULT_TOPIC])
        self.client_id = client_id
        self.login = login
        self.qos = qos
        self.max_messages = max_messages
        self.max_wait = max_wait
        self.max_backoff = max_backoff
        self.username = username
        self.password = password
        self.keepalive = keepalive
        self.log = log or (lambda text: print(text, file=sys.stderr,
                flush=True))
        self.messages = queue.Queue()
        self.stats = Stats()
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.generation = 0
        self.lock = threading.Lock()
        self.client = None
        self.user_id = None
        self.marker_topic = marker_topic(client_id)
        self.marker = None          # the token queued by probe_broker()
        self.counting = False       # messages before the marker are held
        self.connected_at = 0
        self.held_count = 0

    # --- MQTT ----------------------------------------------------------

    def connect(self):
        import paho.mqtt.client as mqtt
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id, clean_session=False,
            protocol=mqtt.MQTTv311, manual_ack=True)
        if self.username:
            client.username_pw_set(self.username, self.password)
        client.reconnect_delay_set(min_delay=1, max_delay=self.max_backoff)
        client.on_connect = self.on_connect
        client.on_disconnect = self.on_disconnect
        client.on_message = self.on_message
        client.on_connect_fail = self.on_connect_fail
        self.client = client
        client.connect_async(self.host, self.port, keepalive=self.keepalive)
        client.loop_start()     # reconnects with back-off on its own

    def on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self.log("rfid bridge: broker refused the connection: %s"
                % reason_code)
            return
        with self.lock:
            self.generation += 1
            first = self.generation == 1
            self.connected_at = time.monotonic()
        client.subscribe([(topic, self.qos) for topic in self.topics]
            + [(self.marker_topic, 1)])
        self.connected.set()
        self.log("rfid bridge: connected to %s:%s as %s (session %s), "
            "topics %s" % (self.host, self.port, self.client_id,
                'resumed' if flags.session_present else 'new',
                ', '.join(self.topics)))
        if first:
            if not flags.session_present:
                self.report_held(0)
            elif self.marker:
                self.counting = True

    def on_connect_fail(self, client, userdata):
        self.log("rfid bridge: cannot reach the broker on %s:%s, retrying"
            % (self.host, self.port))

    def on_disconnect(self, client, userdata, flags, reason_code,
            properties):
        self.connected.clear()
        if not self.stopping.is_set():
            self.log("rfid bridge: disconnected (%s), reconnecting"
                % reason_code)

    def on_message(self, client, userdata, message):
        if message.topic == self.marker_topic:
            if message.qos:
                client.ack(message.mid, message.qos)
            # a marker of an earlier start that its bridge never received
            # is behind no held message of this start: ignored
            if message.payload == self.marker:
                self.report_held(self.held_count)
            return
        if self.counting:
            self.held_count += 1
        self.messages.put((self.generation, message.mid, message.qos,
                message.topic, message.payload, dt.datetime.now()))

    def report_held(self, count, marker_missing=False):
        with self.lock:
            if self.stats.held is not None:
                return
            self.counting = False
            self.stats.held = count
            self.stats.marker_missing = marker_missing
        if marker_missing:
            self.log("rfid bridge: WARNING the broker delivered %d held "
                "messages but not the start-up marker: it dropped messages "
                "for session %s (its queue was full: reads were lost), or "
                "the session is older than the marker subscription"
                % (count, self.client_id))
        else:
            self.log("rfid bridge: the broker held %d messages for session "
                "%s at start-up" % (count, self.client_id))

    def probe_broker(self, timeout=10):
        """Before the session connects: queue the marker behind the messages
        the broker holds for it, and read the broker's dropped count"""
        import paho.mqtt.client as mqtt
        token = uuid.uuid4().hex
        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id='%s-probe-%s' % (self.client_id[:40], token[:8]),
            clean_session=True, protocol=mqtt.MQTTv311)
        if self.username:
            client.username_pw_set(self.username, self.password)
        dropped = threading.Event()

        def on_message(client, userdata, message):
            try:
                self.stats.broker_dropped = int(message.payload)
            except ValueError:
                return
            dropped.set()
        client.on_message = on_message
        try:
            client.connect(self.host, self.port, keepalive=self.keepalive)
        except OSError as exception:
            self.log("rfid bridge: cannot reach the broker on %s:%s (%s): "
                "the messages it held are not counted" % (
                    self.host, self.port, exception))
            return
        client.loop_start()
        try:
            client.subscribe(DROPPED_TOPIC, 0)
            info = client.publish(self.marker_topic, token, qos=1)
            info.wait_for_publish(timeout)
            if info.is_published():
                self.marker = token.encode()
            else:
                self.log("rfid bridge: the broker did not take the start-up "
                    "marker: the messages it held are not counted")
            # $SYS values are retained: the current one comes at once,
            # unless the broker publishes no $SYS topics
            if dropped.wait(2):
                self.log("rfid bridge: the broker dropped %d messages for "
                    "queue limits since it started (all clients, as of its "
                    "last $SYS update)" % self.stats.broker_dropped)
        finally:
            client.disconnect()
            client.loop_stop()

    def ack(self, messages):
        with self.lock:
            generation = self.generation
            for message_generation, mid, qos, *_ in messages:
                # A message of an earlier connection is delivered again
                # after the reconnection (and then found a duplicate)
                if qos and message_generation == generation:
                    self.client.ack(mid, qos)

    # --- database ------------------------------------------------------

    def open_database(self):
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        loaded = self.database in Pool.database_list()
        pool = Pool(self.database)
        if not loaded:
            pool.init()
        with Transaction().start(self.database, 0, readonly=True):
            User = pool.get('res.user')
            users = User.search([('login', '=', self.login)], limit=1)
            if not users:
                raise ValueError("no user %r in database %r"
                    % (self.login, self.database))
            self.user_id = users[0].id
            self.company_id = (users[0].company.id
                if users[0].company else None)

    def ingest(self, items, received_at):
        """Ingest items in one transaction, committed on return; retried
        on lock and concurrency errors"""
        from trytond import backend
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        from .rfid import ingest_retrying
        for attempt in range(6):
            try:
                with Transaction().start(self.database, self.user_id,
                        context={'company': self.company_id}):
                    Pool(self.database)
                    results = ingest_retrying(items,
                        received_at=received_at)
                return results
            except backend.DatabaseOperationalError:
                if attempt == 5:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def subscription_of(self, topic):
        from paho.mqtt.client import topic_matches_sub
        for subscription in self.topics:
            if topic_matches_sub(subscription, topic):
                return subscription
        return self.topics[0]

    def process(self, messages):
        from trytond.exceptions import UserError
        items = [(payload, reader_from_topic(self.subscription_of(topic),
                    topic), None)
            for _, _, _, topic, payload, _ in messages]
        received_at = min(m[5] for m in messages)
        try:
            results = self.ingest(items, received_at)
        except UserError:
            # one bad message rejects the group: take them one by one
            results = []
            for message, item in zip(messages, items):
                try:
                    results.extend(self.ingest([item], message[5]))
                except UserError as exception:
                    self.stats.rejected += 1
                    self.log("rfid bridge: rejected a message on %s: %s"
                        % (message[3], ' '.join(
                                str(exception.message).split())))
        self.stats.transactions += 1
        for result in results:
            self.stats.messages += 1
            if result['duplicate']:
                self.stats.duplicates += 1
            else:
                self.stats.reads += result['reads']
                self.stats.events += result['events']
                self.stats.review += result['review']
        self.ack(messages)

    # --- main loop -----------------------------------------------------

    def run(self, idle_timeout=None, stats_every=None):
        """Serve until stopped (SIGINT/SIGTERM, stop()) or, with
        idle_timeout, until no message came for that many seconds"""
        self.open_database()
        self.probe_broker()
        self.connect()
        last_message = last_stats = time.monotonic()
        try:
            while not self.stopping.is_set():
                try:
                    first = self.messages.get(timeout=0.2)
                except queue.Empty:
                    now = time.monotonic()
                    if idle_timeout and now - last_message > idle_timeout:
                        break
                    if self.counting and now - max(last_message,
                            self.connected_at) > MARKER_GRACE:
                        self.report_held(self.held_count,
                            marker_missing=True)
                    continue
                messages = [first]
                deadline = time.monotonic() + self.max_wait
                while len(messages) < self.max_messages:
                    timeout = deadline - time.monotonic()
                    try:
                        messages.append(self.messages.get(
                                timeout=max(timeout, 0)) if timeout > 0
                            else self.messages.get_nowait())
                    except queue.Empty:
                        break
                self.process(messages)
                last_message = time.monotonic()
                if stats_every and last_message - last_stats > stats_every:
                    last_stats = last_message
                    self.log("rfid bridge: %s" % self.stats.as_dict())
        finally:
            self.close()
        return self.stats.as_dict()

    def stop(self, *args):
        self.stopping.set()

    def close(self):
        self.stopping.set()
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()


def install_signal_handlers(bridge):
    signal.signal(signal.SIGTERM, bridge.stop)
    signal.signal(signal.SIGINT, bridge.stop)
