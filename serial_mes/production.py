# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from .exceptions import InstallationError


class Production(metaclass=PoolMeta):
    __name__ = 'production'

    def check_unit_assignment(self):
        "Several serial outputs: each tracked input must name its unit"
        outputs = [m for m in self.outputs
            if m.lot and m.product.serial_rule]
        if len(outputs) < 2:
            return
        output_lots = {m.lot for m in outputs}
        for move in self.inputs:
            if move.lot and move.unit_lot not in output_lots:
                raise InstallationError(gettext(
                        'serial_mes.msg_production_assign_inputs',
                        production=self.rec_name, input=move.lot.rec_name))

    @classmethod
    @ModelView.button
    def do(cls, productions):
        pool = Pool()
        Installation = pool.get('serial_mes.installation')
        for production in productions:
            production.check_unit_assignment()
        super().do(productions)
        for production in productions:
            Installation.link_production(cls(production.id))


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'
    unit_lot = fields.Many2One('stock.lot', "Into Unit",
        ondelete='RESTRICT',
        states={
            'invisible': ~Eval('production_input'),
            'readonly': Eval('state').in_(['done', 'cancelled']),
            },
        help="For productions with several serial outputs: the unit this "
        "input goes into.")
