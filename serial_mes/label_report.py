# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Serial labels as a Tryton report: one GS1-128 label per serial"
from trytond.i18n import gettext
from trytond.report import Report

from .exceptions import SerialNumberError


class SerialLabels(Report):
    __name__ = 'serial_mes.lot.labels'

    @classmethod
    def _execute(cls, records, header, data, action):
        return 'pdf', cls.render(records)

    @classmethod
    def render(cls, lots):
        "The PDF of lots' labels, one page each"
        from .labels import labels_pdf
        items = []
        for lot in lots:
            if not lot.product.gtin:
                raise SerialNumberError(gettext(
                        'serial_mes.msg_label_no_gtin',
                        product=lot.product.rec_name))
            items.append({'gtin': lot.product.gtin, 'serial': lot.number,
                    'product': lot.product.rec_name})
        try:
            return labels_pdf(items)
        except ValueError as exception:
            raise SerialNumberError(str(exception))
