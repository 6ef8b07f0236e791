// This file is part of Serial MES.  The COPYRIGHT file at the top level of
// this repository contains the full copyright notices and license terms.
//
// Receiving page: a keyboard-wedge scanner types a code then Enter into the
// one input, which keeps the focus.  Step 1 opens the shipment (its number,
// reference or ASN number), step 2 sends every scan and shows the answer at
// once; "Finish receipt" shows the discrepancy report.  Requests go out one
// at a time, in scan order.  The device's API key (a Tryton user
// application "serial_mes_receiving") is asked once and kept in
// localStorage; an answer 401 asks for it again and repeats the request.
'use strict';

(function () {
    const GS = '\x1d';  // GS1 group separator (FNC1 inside a message)
    const LOG_SIZE = 50;

    // /<database>/serial_mes/receiving -> /<database>/serial_mes/
    const ROOT = window.location.pathname.replace(/\/receiving\/?$/, '/');
    const DATABASE = decodeURIComponent(
        window.location.pathname.split('/')[1] || '');
    const KEY_STORE = 'serial_mes.receiving.key.' + DATABASE;
    const SHIPMENT_STORE = 'serial_mes.receiving.shipment.' + DATABASE;

    // result -> [banner class, title]
    const RESULTS = {
        matched: ['ok', '✓ Matched'],
        accepted_extra: ['ok', '✓ Accepted as extra'],
        created: ['ok', '✓ Received'],
        confirm: ['warn', 'New serial? Confirm'],
        duplicate: ['warn', 'Duplicate scan'],
        unexpected: ['warn', 'Unexpected: not on the ASN'],
        wrong_product: ['bad', '✗ Wrong product'],
        elsewhere: ['bad', '✗ Already elsewhere'],
        invalid: ['bad', '✗ Invalid scan'],
    };
    const RESULT_NAMES = {
        matched: 'matched', accepted_extra: 'accepted as extra',
        created: 'received', confirm: 'to confirm',
        duplicate: 'duplicate', unexpected: 'unexpected',
        wrong_product: 'wrong product', elsewhere: 'already elsewhere',
        invalid: 'invalid',
    };

    const $ = (id) => document.getElementById(id);
    const ui = {};
    const state = {
        shipment: null,      // {id, number, supplier, asn, state}
        lines: [],
        unexpected: [],
        pendingExtra: null,  // code of the last scan that may be taken
        pendingConfirm: null,  // its product code, when it is a new serial
        // that needs confirming (shipment without ASN)
        seq: 0,              // answers shown, for tests and screen readers
        busy: 0,
    };

    // --- storage (a browser may refuse it: private mode, policies) --------

    function load(storage, name) {
        try {
            return window[storage].getItem(name);
        } catch (error) {
            return null;
        }
    }

    function store(storage, name, value) {
        try {
            if (value === null) {
                window[storage].removeItem(name);
            } else {
                window[storage].setItem(name, value);
            }
        } catch (error) {
            // kept for this page only
        }
    }

    let memoryKey = null;

    function getKey() {
        return load('localStorage', KEY_STORE) || memoryKey;
    }

    function setKey(key) {
        memoryKey = key;
        store('localStorage', KEY_STORE, key);
    }

    // --- the key dialog ----------------------------------------------------

    let keyWaiters = [];

    function askKey(reason) {
        ui.keyReason.textContent = reason;
        ui.keyInput.value = '';
        ui.keyDialog.hidden = false;
        ui.keyInput.focus();
        return new Promise((resolve, reject) => {
            keyWaiters.push({resolve, reject});
        });
    }

    function closeKeyDialog() {
        ui.keyDialog.hidden = true;
        focusScan();
    }

    function saveKey(event) {
        event.preventDefault();
        const key = ui.keyInput.value.trim();
        if (!key) {
            ui.keyReason.textContent = 'The key is empty.';
            ui.keyInput.focus();
            return;
        }
        setKey(key);
        ui.keyInput.value = '';
        closeKeyDialog();
        const waiters = keyWaiters;
        keyWaiters = [];
        waiters.forEach((waiter) => waiter.resolve(key));
    }

    function cancelKey() {
        closeKeyDialog();
        const waiters = keyWaiters;
        keyWaiters = [];
        waiters.forEach((waiter) => waiter.reject(new ApiError(
            'No device key: the page cannot ask the server. ' +
            'Press "Key" to enter it.')));
    }

    // --- the JSON API -------------------------------------------------------

    class ApiError extends Error {
        constructor(message, status) {
            super(message);
            this.status = status || 0;
        }

        get title() {
            if (!this.status) {
                return '✗ Not sent';
            }
            return this.status >= 500 ? '✗ Server error' : '✗ Refused';
        }
    }

    async function api(path, body) {
        let key = getKey();
        if (!key) {
            key = await askKey('Enter this device\'s API key.');
        }
        for (;;) {
            let response;
            try {
                response = await fetch(ROOT + path, {
                    method: 'POST',
                    headers: {
                        'Content-Type': 'application/json',
                        'Accept': 'application/json',
                        'Authorization': 'Bearer ' + key,
                    },
                    body: JSON.stringify(body || {}),
                    cache: 'no-store',
                    credentials: 'omit',
                });
            } catch (error) {
                throw new ApiError('No answer from the server (' +
                    error.message + '): check the network, then scan ' +
                    'again.');
            }
            if (response.status === 401) {
                setKey(null);
                key = await askKey('The server refused the key: enter ' +
                    'it again (or a new one).');
                continue;
            }
            let answer = null;
            try {
                answer = await response.json();
            } catch (error) {
                answer = null;
            }
            if (!response.ok) {
                throw new ApiError((answer && answer.error) ||
                    ('The server answered ' + response.status + ' ' +
                        response.statusText + '.'), response.status);
            }
            if (!answer || typeof answer !== 'object') {
                throw new ApiError('The server\'s answer is not JSON.',
                    response.status);
            }
            return answer;
        }
    }

    // Requests one at a time, in the order of the scans
    let queue = Promise.resolve();

    function enqueue(task, code) {
        state.busy += 1;
        ui.busy.hidden = false;
        const run = queue.then(task).catch((error) => {
            if (error instanceof ApiError) {
                showBanner('bad', error.title, error.message,
                    code ? visible(code) : '', 'error');
            } else {
                showBanner('bad', '✗ Page error', String(error), '',
                    'error');
                console.error(error);  // eslint-disable-line no-console
            }
            addLog(code || '', 'error', error.message || String(error));
        }).finally(() => {
            state.busy -= 1;
            ui.busy.hidden = state.busy === 0;
        });
        queue = run;
        return run;
    }

    // The banner of a result: without ASN nothing is "not on the ASN" nor
    // "extra"
    function resultLook(result) {
        const withoutAsn = state.shipment && !state.shipment.asn;
        if (withoutAsn && result === 'unexpected') {
            return ['warn', 'Which product?'];
        }
        if (withoutAsn && result === 'accepted_extra') {
            return RESULTS.created;
        }
        return RESULTS[result] || ['bad', result];
    }

    // --- display helpers ----------------------------------------------------

    // GS and other control characters made visible
    function visible(code) {
        return String(code).replace(/[\x00-\x1f\x7f]/g, (c) => (
            c === GS ? '⟨GS⟩' : '⟨' + c.charCodeAt(0).toString(16)
                .padStart(2, '0') + '⟩'));
    }

    function cell(row, text, className) {
        const td = document.createElement('td');
        td.textContent = text === null || text === undefined ? '' : text;
        if (className) {
            td.className = className;
        }
        row.appendChild(td);
        return td;
    }

    function fill(table, rows, render) {
        const body = table.tBodies[0];
        body.replaceChildren();
        rows.forEach((item) => {
            const row = document.createElement('tr');
            render(row, item);
            body.appendChild(row);
        });
    }

    function flash(kind) {
        // restart the animations: remove, reflow, add
        [ui.flash, ui.banner].forEach((element) => {
            element.classList.remove('flashing');
            void element.offsetWidth;
            element.classList.add('flashing');
        });
        ui.flash.dataset.kind = kind;
    }

    function showBanner(kind, title, message, detail, result) {
        ui.banner.className = 'banner banner-' + kind;
        ui.bannerTitle.textContent = title;
        ui.bannerMessage.textContent = message || '';
        ui.bannerDetail.textContent = detail || '';
        state.seq += 1;
        ui.banner.dataset.result = result || '';
        ui.banner.dataset.seq = String(state.seq);
        flash(kind);
    }

    function addLog(code, result, text) {
        const item = document.createElement('li');
        item.className = 'log-item log-' + ((RESULTS[result] || [])[0] ||
            (result === 'error' ? 'bad' : 'info'));
        item.dataset.result = result;
        const time = document.createElement('span');
        time.className = 'log-time';
        time.textContent = new Date().toLocaleTimeString();
        const what = document.createElement('span');
        what.className = 'log-code';
        what.textContent = visible(code);
        const how = document.createElement('span');
        how.className = 'log-result';
        how.textContent = text;
        item.append(time, what, how);
        ui.log.prepend(item);
        while (ui.log.children.length > LOG_SIZE) {
            ui.log.lastElementChild.remove();
        }
    }

    function setStep(step) {
        document.body.dataset.step = step;
        if (step === 'scan') {
            ui.stepNumber.textContent = '2';
            ui.stepText.textContent = 'Scan each unit\'s barcode';
        } else {
            ui.stepNumber.textContent = '1';
            ui.stepText.textContent = 'Scan the shipment or ASN number';
        }
        ui.newReceipt.hidden = step !== 'scan';
    }

    // --- shipment, lines, unexpected ----------------------------------------

    function showShipment(shipment) {
        ui.shipmentInfo.hidden = !shipment;
        if (!shipment) {
            return;
        }
        ui.shipmentNumber.textContent = 'Shipment ' + (shipment.number ||
            '#' + shipment.id);
        ui.shipmentSupplier.textContent = shipment.supplier || '';
        ui.shipmentAsn.textContent = shipment.asn ? 'ASN ' + shipment.asn :
            'no ASN';
        ui.shipmentState.textContent = shipment.state || '';
        ui.shipmentState.dataset.state = shipment.state || '';
    }

    function render(answer) {
        if (answer.shipment) {
            showShipment(answer.shipment);
        }
        state.lines = Array.isArray(answer.lines) ? answer.lines : [];
        state.unexpected = Array.isArray(answer.unexpected) ?
            answer.unexpected : [];
        // the server defines the counts once (receipt_status totals)
        state.totals = answer.totals || {};
        const total = (name) => Number(state.totals[name]) || 0;
        ui.totalExpected.textContent = total('expected');
        ui.totalByQuantity.textContent = total('by_quantity');
        ui.totalByQuantity.parentElement.hidden = !total('by_quantity');
        ui.totalScanned.textContent = total('scanned');
        ui.totalMissing.textContent = total('missing');
        ui.totalUnexpected.textContent = total('unexpected');
        fill(ui.lines, state.lines, (row, line) => {
            const missing = Number(line.missing) || 0;
            row.className = missing ? 'line-open' : 'line-done';
            if ((Number(line.scanned) || 0) > (Number(line.expected) || 0)) {
                row.className += ' line-over';
            }
            cell(row, line.product, 'col-product');
            cell(row, line.gtin, 'col-gtin');
            const expected = cell(row, line.expected, 'num');
            if (line.note) {
                // by quantity: said in words beside the serials expected
                const note = document.createElement('span');
                note.className = 'line-note';
                note.textContent = line.note;
                expected.append(document.createElement('br'), note);
            }
            cell(row, line.scanned, 'num');
            cell(row, missing, 'num col-missing');
        });
        showPlainProducts();
        ui.unexpectedBlock.hidden = !state.unexpected.length;
        fill(ui.unexpected, state.unexpected, (row, item) => {
            cell(row, visible(item.code || ''), 'col-code');
            cell(row, item.product || '—');
            cell(row, RESULT_NAMES[item.result] || item.result || '');
        });
        ui.progress.hidden = false;
    }

    // The serial products of the shipment the clerk may name for plain
    // codes (by GTIN); the choice stays while the shipment is scanned
    function showPlainProducts() {
        const select = ui.plainProduct;
        const chosen = select.value;
        const products = state.lines.filter((line) => line.gtin &&
            (Number(line.expected) || Number(line.scanned)));
        const first = select.options[0];
        select.replaceChildren(first);
        products.forEach((line) => {
            const option = document.createElement('option');
            option.value = line.gtin;
            option.textContent = line.product;
            select.appendChild(option);
        });
        select.value = products.some((line) => line.gtin === chosen) ?
            chosen : '';
        ui.plainProductBlock.hidden = products.length < 2;
    }

    // --- step 1: open the shipment ------------------------------------------

    async function openShipment(code) {
        showBanner('info', 'Opening…', code, '', 'opening');
        const answer = await api('receiving/open', {code});
        state.shipment = answer.shipment;
        state.pendingExtra = null;
        state.pendingConfirm = null;
        ui.plainProduct.value = '';
        ui.extraActions.hidden = true;
        ui.confirmFinish.hidden = true;
        ui.report.hidden = true;
        render(answer);
        const shipment = answer.shipment || {};
        addLog(code, 'open', 'shipment ' + (shipment.number || ''));
        if (shipment.state && shipment.state !== 'draft') {
            state.shipment = null;
            store('sessionStorage', SHIPMENT_STORE, null);
            setStep('open');
            ui.finishBar.hidden = true;
            showBanner('warn', 'Already ' + shipment.state,
                'Shipment ' + (shipment.number || '') + ' is ' +
                shipment.state + ': there is nothing to scan.',
                'Scan another shipment or ASN number.', 'closed');
            return;
        }
        store('sessionStorage', SHIPMENT_STORE, code);
        ui.finishBar.hidden = false;
        setStep('scan');
        showBanner('info', 'Shipment ' + (shipment.number || ''),
            (shipment.supplier || '') + (shipment.asn ?
                ' · ASN ' + shipment.asn : ' · no ASN'),
            countsText() + ' Scan each unit.', 'opened');
    }

    // --- step 2: scan the units ---------------------------------------------

    // "6 serials expected, 10 by quantity (serials registered later)."
    function countsText() {
        const totals = state.totals || {};
        let text = (Number(totals.expected) || 0) + ' serials expected';
        state.lines.filter((line) => line.note).forEach((line) => {
            text += ', ' + line.product + ': ' + line.note;
        });
        return text + '.';
    }

    async function scanUnit(shipment, code, acceptExtra, product) {
        if (!shipment || state.shipment !== shipment) {
            // finished or left while the scan waited for its turn
            showBanner('warn', 'Not sent', 'The shipment was closed ' +
                'before this scan was sent.', visible(code), 'error');
            addLog(code, 'error', 'not sent');
            return;
        }
        ui.confirmFinish.hidden = true;
        const body = {code: code, accept_extra: acceptExtra};
        if (product) {
            // confirming a new serial of the product shown
            body.confirm = true;
            body.product = product;
        } else if (ui.plainProduct.value) {
            body.product = ui.plainProduct.value;
        }
        const answer = await api('receiving/' + shipment.id + '/scan', body);
        if (state.shipment !== shipment) {
            return;  // another shipment was opened meanwhile
        }
        render(answer);
        const result = answer.result;
        const [kind, title] = resultLook(result);
        const detail = [answer.serial, answer.product].filter(
            Boolean).join(' · ');
        const message = answer.message || '';
        // the buttons only when the server says the code may be taken
        if (answer.accept && !acceptExtra && !product) {
            state.pendingExtra = code;
            state.pendingConfirm = result === 'confirm' ?
                (answer.product_code || '') : null;
            ui.extraText.textContent = result === 'confirm' ?
                'New serial of ' + (answer.product || '') + ':' :
                'Not on the ASN:';
            ui.extraCode.textContent = visible(code);
            ui.acceptExtra.textContent = result === 'confirm' ?
                'Create serial' : 'Accept as extra';
            ui.extraActions.hidden = false;
        } else {
            state.pendingExtra = null;
            state.pendingConfirm = null;
            ui.extraActions.hidden = true;
        }
        showBanner(kind, title, message, detail, result);
        addLog(code, result, (RESULT_NAMES[result] || result) +
            (answer.serial ? ' · ' + answer.serial : ''));
    }

    function acceptExtra() {
        const code = state.pendingExtra;
        const product = state.pendingConfirm;
        if (code !== null && state.shipment) {
            state.pendingExtra = null;
            state.pendingConfirm = null;
            ui.extraActions.hidden = true;
            const shipment = state.shipment;
            enqueue(() => scanUnit(shipment, code, product === null,
                product), code);
        }
        focusScan();
    }

    function rejectExtra() {
        const code = state.pendingExtra;
        if (code !== null) {
            state.pendingExtra = null;
            state.pendingConfirm = null;
            ui.extraActions.hidden = true;
            showBanner('warn', 'Rejected', 'Put the part aside: it is ' +
                'not received.', visible(code), 'rejected');
            addLog(code, 'rejected', 'rejected');
        }
        focusScan();
    }

    // --- finish --------------------------------------------------------------

    function askFinish() {
        if (!state.shipment) {
            return;
        }
        // the same counts as the page's totals
        const totals = state.totals || {};
        const missing = Number(totals.missing) || 0;
        let text = (Number(totals.scanned) || 0) + ' serials scanned of ' +
            (Number(totals.expected) || 0) + ' expected. ';
        text += missing ? missing + ' missing will be reported and left ' +
            'out of the receipt.' : 'No serial is missing.';
        state.lines.filter((line) => line.note).forEach((line) => {
            text += ' ' + line.product + ': ' + line.note +
                ', received as counted.';
        });
        if (Number(totals.unexpected)) {
            text += ' ' + totals.unexpected + ' unexpected (not received).';
        }
        if (state.pendingExtra !== null) {
            text += ' The unexpected scan ' + visible(state.pendingExtra) +
                ' is not accepted.';
        }
        ui.confirmText.textContent = text;
        ui.confirmFinish.hidden = false;
        focusScan();
    }

    async function finish() {
        const shipment = state.shipment;
        ui.confirmFinish.hidden = true;
        if (!shipment) {
            return;
        }
        showBanner('info', 'Finishing…', 'Shipment ' + shipment.number, '',
            'finishing');
        const answer = await api('receiving/' + shipment.id + '/finish', {});
        if (state.shipment !== shipment) {
            return;
        }
        if (answer.shipment) {
            showShipment(answer.shipment);
        }
        // the report replaces the live table
        ui.progress.hidden = true;
        showReport(answer);
        state.shipment = null;
        state.pendingExtra = null;
        ui.extraActions.hidden = true;
        ui.finishBar.hidden = true;
        store('sessionStorage', SHIPMENT_STORE, null);
        setStep('open');
        const missing = countMissing(answer.missing);
        const unexpected = Number((answer.totals || {}).unexpected) || 0;
        const kind = missing || unexpected ? 'warn' : 'ok';
        showBanner(kind, '✓ Receipt finished', receivedText(answer) +
            ', ' + missing + ' missing, ' + unexpected + ' unexpected.',
            'Scan the next shipment or ASN number.', 'finished');
        addLog(shipment.number || '', 'finished', 'finished · ' +
            (answer.received || 0) + ' received');
    }

    // "3 serials received + 10 by quantity"
    function receivedText(answer) {
        const byQuantity = Number(answer.received_by_quantity) || 0;
        return (answer.received || 0) + ' serials received' + (byQuantity ?
            ' + ' + byQuantity + ' by quantity' : '');
    }

    // a missing serial counts one; a missing quantity without serials
    // (ordered, never scanned) counts its quantity
    function countMissing(missing) {
        return (missing || []).reduce((total, item) =>
            total + (item.serial ? 1 : Number(item.quantity) || 0), 0);
    }

    function showReport(answer) {
        const shipment = answer.shipment || state.shipment || {};
        const missing = answer.missing || [];
        const unexpected = answer.unexpected || [];
        ui.reportTitle.textContent = 'Receipt ' + (shipment.number || '') +
            ' finished';
        ui.reportSummary.textContent = receivedText(answer) + ' · ' +
            countMissing(missing) + ' missing · ' +
            (Number((answer.totals || {}).unexpected) || 0) + ' unexpected' +
            (shipment.supplier ? ' · ' + shipment.supplier : '') +
            (shipment.asn ? ' · ASN ' + shipment.asn : '') +
            (shipment.state ? ' · ' + shipment.state : '');
        ui.reportMissingBlock.hidden = !missing.length;
        fill(ui.reportMissing, missing, (row, item) => {
            cell(row, item.product);
            cell(row, item.serial || item.quantity + ' without serial',
                'col-code');
        });
        ui.reportUnexpectedBlock.hidden = !unexpected.length;
        fill(ui.reportUnexpected, unexpected, (row, item) => {
            cell(row, visible(item.code || ''), 'col-code');
            cell(row, item.product || '—');
            cell(row, RESULT_NAMES[item.result] || item.result || '');
        });
        ui.report.hidden = false;
    }

    // --- unlabelled parts -------------------------------------------------

    function openGenerate() {
        if (!state.shipment) {
            return;
        }
        ui.generate.hidden = false;
        ui.labelsBlock.hidden = true;
        if (!ui.generateProduct.value && state.lines.length === 1) {
            ui.generateProduct.value = state.lines[0].gtin || '';
        }
        ui.generateProduct.focus();
    }

    function closeGenerate() {
        ui.generate.hidden = true;
        focusScan();
    }

    function submitGenerate(event) {
        event.preventDefault();
        const shipment = state.shipment;
        const product = ui.generateProduct.value.trim();
        const count = Number(ui.generateCount.value);
        if (!shipment) {
            return;
        }
        enqueue(() => generate(shipment, product, count), product);
    }

    async function generate(shipment, product, count) {
        const answer = await api('receiving/' + shipment.id + '/generate',
            {product: product, count: Number.isInteger(count) ? count :
                String(count)});
        render(answer);
        const numbers = answer.generated || [];
        showBanner('ok', '✓ ' + numbers.length + ' serials numbered',
            'Print the labels, stick one on each part, then scan them.',
            numbers.length ? numbers[0] + ' … ' +
                numbers[numbers.length - 1] : '', 'generated');
        addLog(product, 'generated', numbers.length + ' numbered');
        const pdf = await download(answer.labels);
        if (ui.labelsLink.href.startsWith('blob:')) {
            URL.revokeObjectURL(ui.labelsLink.href);
        }
        ui.labelsLink.href = URL.createObjectURL(pdf);
        ui.labelsLink.download = 'labels-' + (shipment.number || '') +
            '.pdf';
        ui.labelsBlock.hidden = false;
        ui.labelsLink.focus();
    }

    // A GET with the key (a plain link could not send it)
    async function download(path) {
        let response;
        try {
            response = await fetch(path, {
                headers: {'Authorization': 'Bearer ' + getKey()},
                cache: 'no-store',
                credentials: 'omit',
            });
        } catch (error) {
            throw new ApiError('No answer from the server (' +
                error.message + ').');
        }
        if (!response.ok) {
            let message = 'The server answered ' + response.status + '.';
            try {
                message = (await response.json()).error || message;
            } catch (error) {
                // not JSON: keep the status
            }
            throw new ApiError(message, response.status);
        }
        return response.blob();
    }

    // --- the scanner input ---------------------------------------------------

    function focusScan() {
        // the unlabelled-parts form has fields of its own to type in
        // nor is the product of plain codes taken from the clerk choosing
        if (ui.keyDialog.hidden && ui.generate.hidden &&
                document.activeElement !== ui.plainProduct &&
                document.activeElement !== ui.scan) {
            ui.scan.focus({preventScroll: true});
        }
    }

    // Keep the ends of the scan but spaces, tabs and line ends: a GS
    // (ASCII 29) is data
    function cleaned(text) {
        return text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    }

    function submitScan(event) {
        event.preventDefault();
        const code = cleaned(ui.scan.value);
        ui.scan.value = '';
        focusScan();
        if (!code) {
            return;
        }
        if (state.shipment) {
            const confirming = state.pendingExtra !== null &&
                code === state.pendingExtra;
            const product = confirming ? state.pendingConfirm : null;
            if (confirming) {
                state.pendingExtra = null;
                state.pendingConfirm = null;
                ui.extraActions.hidden = true;
            }
            const shipment = state.shipment;
            enqueue(() => scanUnit(shipment, code,
                confirming && product === null, product), code);
        } else {
            enqueue(() => openShipment(code), code);
        }
    }

    function scanKeydown(event) {
        // Keyboard-wedge scanners type the GS1 separator as Ctrl+]
        if (event.ctrlKey && !event.altKey && !event.metaKey &&
                (event.key === ']' || event.code === 'BracketRight' ||
                    event.key === GS)) {
            event.preventDefault();
            const input = ui.scan;
            const start = input.selectionStart ?? input.value.length;
            const end = input.selectionEnd ?? start;
            input.setRangeText(GS, start, end, 'end');
        }
    }

    function newReceipt() {
        state.shipment = null;
        state.pendingExtra = null;
        store('sessionStorage', SHIPMENT_STORE, null);
        ui.extraActions.hidden = true;
        ui.confirmFinish.hidden = true;
        ui.generate.hidden = true;
        ui.progress.hidden = true;
        ui.finishBar.hidden = true;
        showShipment(null);
        setStep('open');
        showBanner('idle', 'Ready', 'Scan or type the number of the ' +
            'supplier shipment or of its ASN, then press Enter.', '',
            'ready');
        focusScan();
    }

    // Buttons act without taking the focus from the scanner input
    function keepFocus(button, action) {
        button.addEventListener('mousedown', (event) => {
            event.preventDefault();
        });
        button.addEventListener('click', (event) => {
            event.preventDefault();
            action();
            focusScan();
        });
    }

    function init() {
        [
            'flash', 'banner', 'scan', 'busy', 'log', 'progress', 'lines',
            'unexpected', 'report',
        ].forEach((id) => {
            ui[id] = $(id);
        });
        Object.assign(ui, {
            form: $('scan-form'),
            stepNumber: $('step-number'),
            stepText: $('step-text'),
            bannerTitle: $('banner-title'),
            bannerMessage: $('banner-message'),
            bannerDetail: $('banner-detail'),
            extraActions: $('extra-actions'),
            extraCode: $('extra-code'),
            extraText: $('extra-text'),
            acceptExtra: $('accept-extra'),
            confirmFinish: $('confirm-finish'),
            confirmText: $('confirm-text'),
            finishBar: $('finish').parentElement,
            shipmentInfo: $('shipment-info'),
            shipmentNumber: $('shipment-number'),
            shipmentSupplier: $('shipment-supplier'),
            shipmentAsn: $('shipment-asn'),
            shipmentState: $('shipment-state'),
            newReceipt: $('new-receipt'),
            totalExpected: $('total-expected'),
            totalByQuantity: $('total-by-quantity'),
            plainProduct: $('plain-product'),
            plainProductBlock: $('plain-product-block'),
            totalScanned: $('total-scanned'),
            totalMissing: $('total-missing'),
            totalUnexpected: $('total-unexpected'),
            unexpectedBlock: $('unexpected-block'),
            reportTitle: $('report-title'),
            reportSummary: $('report-summary'),
            reportMissingBlock: $('report-missing-block'),
            reportMissing: $('report-missing'),
            reportUnexpectedBlock: $('report-unexpected-block'),
            reportUnexpected: $('report-unexpected'),
            keyDialog: $('key-dialog'),
            keyForm: $('key-form'),
            keyInput: $('key-input'),
            keyReason: $('key-reason'),
            generate: $('generate'),
            generateForm: $('generate-form'),
            generateProduct: $('generate-product'),
            generateCount: $('generate-count'),
            labelsBlock: $('labels-block'),
            labelsLink: $('labels-link'),
        });

        ui.form.addEventListener('submit', submitScan);
        ui.scan.addEventListener('keydown', scanKeydown);
        keepFocus($('accept-extra'), acceptExtra);
        keepFocus($('reject-extra'), rejectExtra);
        keepFocus($('finish'), askFinish);
        keepFocus($('finish-now'), () => {
            if (state.shipment) {
                enqueue(finish);
            }
        });
        keepFocus($('finish-back'), () => {
            ui.confirmFinish.hidden = true;
        });
        keepFocus($('new-receipt'), newReceipt);
        $('generate-open').addEventListener('click', openGenerate);
        ui.plainProduct.addEventListener('change', () => {
            ui.scan.focus({preventScroll: true});
        });
        $('generate-back').addEventListener('click', closeGenerate);
        ui.generateForm.addEventListener('submit', submitGenerate);
        keepFocus($('print-report'), () => window.print());
        $('scan-submit').addEventListener('mousedown',
            (event) => event.preventDefault());
        $('change-key').addEventListener('click', () => {
            askKey('Enter the new API key of this device.').catch(() => {});
        });
        ui.keyForm.addEventListener('submit', saveKey);
        $('key-cancel').addEventListener('click', cancelKey);
        ui.keyDialog.addEventListener('keydown', (event) => {
            if (event.key === 'Escape') {
                cancelKey();
            }
        });

        // The scanner input keeps the focus, whatever is touched
        ui.scan.addEventListener('blur', () => {
            window.setTimeout(focusScan, 0);
        });
        document.addEventListener('mouseup', () => {
            // a text selection in the tables may stay (copy a serial)
            const selection = window.getSelection();
            if (!selection || selection.isCollapsed) {
                window.setTimeout(focusScan, 0);
            }
        });
        window.addEventListener('focus', focusScan);
        document.addEventListener('visibilitychange', focusScan);

        setStep('open');
        ui.finishBar.hidden = true;
        if (!getKey()) {
            askKey('Enter this device\'s API key.').catch(() => {});
        }
        focusScan();
        // A reload goes back to the shipment being scanned
        const previous = load('sessionStorage', SHIPMENT_STORE);
        if (previous && getKey()) {
            enqueue(() => openShipment(previous), previous);
        }
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', init);
    } else {
        init();
    }
}());
