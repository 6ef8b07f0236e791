/* This file is part of Serial MES.  The COPYRIGHT file at the top level of
   this repository contains the full copyright notices and license terms. */
/* Served as the web client's custom.js (sao loads it after itself).

   sao 8.0 redraws every selection of a form when a field of its record
   changes: it empties the <select>, refills its options and puts the
   record's value back only after an asynchronous step. Until then the
   <select> shows its first option; a button pressed (or Enter typed)
   in that gap reads every selection of the form back from the page,
   so the first option became the record's new value: "Business Step"
   and "Action" blanked, "Type" turned into "Aggregation", and the save
   failed with '"Action" is required'. Here the refilled <select> shows
   the record's value at once. */
(function() {
    'use strict';
    if (!window.Sao || !Sao.View || !Sao.View.Form ||
            !Sao.View.Form.Selection) {
        return;
    }
    var prototype = Sao.View.Form.Selection.prototype;
    var set_selection = prototype.set_selection;
    prototype.set_selection = function(selection, help) {
        set_selection.call(this, selection, help);
        var record = this.record, field = this.field;
        if (!record || !field) {
            return;
        }
        var value = JSON.stringify(field.get(record));
        var known = this.select.find('option').filter(function() {
            return this.value === value;
        });
        if (known.length) {
            this.select.val(value);
        }
    };
}());
