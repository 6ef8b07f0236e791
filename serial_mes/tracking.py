# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import logging
import re

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id
from trytond.transaction import Transaction

from .exceptions import SerialNumberError, TrackingRuleError

TRACKING = [
    ('none', "None"),
    ('lot', "Lot"),
    ('serial', "Serial"),
    ]
SCOPES = [
    ('full', "Full (serial in inventory)"),
    ('registration', "Registration (serial not in inventory)"),
    ]
REGISTRATION_STEPS = [
    ('picking', "Picking"),
    ('consumption', "Consumption in production"),
    ('production_output', "Production output"),
    ('packing', "Packing"),
    ('shipping', "Shipping"),
    ]
HISTORY = [
    ('full', "Every operation"),
    ('creation_removal', "Creation and removal only"),
    ]
CREATION = [
    ('manual', "Manual"),
    ('receipt', "At receipt"),
    ('production_start', "At production start"),
    ('production_done', "At production end"),
    ]
NUMBER_FORMATS = [
    ('sequence', "Sequence"),
    ('product_sequence', "Product code + sequence"),
    ('order_sequence', "Production order + sequence"),
    ('order_product_sequence', "Order + product + sequence"),
    ]
# A scan looks its GTIN up; identifiers rarely change (cached a minute)
_gtin_cache = Cache('serial_mes.product_by_gtin', duration=60)
logger = logging.getLogger(__name__)
# Longest number that still fits GS1 AI (21), EPC and Digital Link.
MAX_NUMBER_LENGTH = 20


class TrackingRule(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'serial_mes.tracking.rule'
    name = fields.Char("Name", required=True, translate=True)
    tracking = fields.Selection(TRACKING, "Tracking", required=True)
    scope = fields.Selection(SCOPES, "Scope",
        states={
            'invisible': Eval('tracking') != 'serial',
            'required': Eval('tracking') == 'serial',
            },
        help="Full: the serial is known at every step (SII).\n"
        "Registration: stocked by quantity, the serial is registered "
        "only at the chosen steps (SNII).")
    registration_steps = fields.MultiSelection(
        REGISTRATION_STEPS, "Registration Steps",
        states={
            'invisible': ((Eval('tracking') != 'serial')
                | (Eval('scope') != 'registration')),
            })
    history = fields.Selection(HISTORY, "History Kept", required=True)
    creation = fields.Selection(CREATION, "Serials Created",
        states={
            'invisible': Eval('tracking') == 'none',
            })
    number_format = fields.Selection(NUMBER_FORMATS, "Number Format",
        states={
            'invisible': Eval('tracking') == 'none',
            })
    sequence = fields.Many2One('ir.sequence', "Sequence",
        domain=[
            ('sequence_type', '=', Id('stock_lot', 'sequence_type_stock_lot')),
            ],
        states={
            'invisible': Eval('tracking') == 'none',
            })
    pattern = fields.Char("Validation Pattern",
        states={
            'invisible': Eval('tracking') == 'none',
            },
        help="A regular expression that numbers typed or scanned by hand "
        "must match entirely.")

    @classmethod
    def default_tracking(cls):
        return 'serial'

    @classmethod
    def default_scope(cls):
        return 'full'

    @classmethod
    def default_history(cls):
        return 'full'

    @classmethod
    def default_creation(cls):
        return 'manual'

    @classmethod
    def default_number_format(cls):
        return 'sequence'

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        if field_names & {'pattern'}:
            for rule in rules:
                if rule.pattern:
                    try:
                        re.compile(rule.pattern)
                    except re.error as exception:
                        raise TrackingRuleError(gettext(
                                'serial_mes.msg_rule_pattern_invalid',
                                rule=rule.rec_name, error=str(exception)))

    @property
    def serial_full(self):
        return self.tracking == 'serial' and self.scope == 'full'

    def check_number(self, number):
        "Raise SerialNumberError if number is not acceptable for this rule"
        if (not number or number != number.strip()
                or len(number) > MAX_NUMBER_LENGTH
                or any(ord(c) < 32 or ord(c) > 126 for c in number)):
            raise SerialNumberError(gettext(
                    'serial_mes.msg_serial_number_malformed',
                    number=number, length=MAX_NUMBER_LENGTH))
        if self.pattern and not re.fullmatch(self.pattern, number):
            from .number_words import describe
            # the clerk reads the pattern in words, the admin finds it here
            logger.info("serial number %r does not match the pattern %r "
                "of tracking rule %s", number, self.pattern, self.id)
            raise SerialNumberError(gettext(
                    'serial_mes.msg_serial_number_pattern',
                    number=number, words=describe(self.pattern),
                    rule=self.rec_name))

    def format_number(self, value, product, order=None):
        "Compose a serial number from a sequence value"
        code = product.code or str(product.id)
        if self.number_format == 'product_sequence':
            return f'{code}-{value}'
        if self.number_format in {'order_sequence', 'order_product_sequence'}:
            if not order:
                raise SerialNumberError(gettext(
                        'serial_mes.msg_serial_number_needs_order',
                        rule=self.rec_name))
            if self.number_format == 'order_sequence':
                return f'{order}-{value}'
            return f'{order}-{code}-{value}'
        return value


class Category(metaclass=PoolMeta):
    __name__ = 'product.category'
    tracking_rule = fields.Many2One(
        'serial_mes.tracking.rule', "Tracking Rule", ondelete='RESTRICT',
        help="The default tracking rule of the products in this category "
        "and its children.")

    def get_tracking_rule(self):
        category = self
        while category:
            if category.tracking_rule:
                return category.tracking_rule
            category = category.parent


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'
    tracking_rule = fields.Many2One(
        'serial_mes.tracking.rule', "Tracking Rule", ondelete='RESTRICT',
        help="Leave empty to use the rule of the product's category.")
    effective_tracking_rule = fields.Function(fields.Many2One(
            'serial_mes.tracking.rule', "Effective Tracking Rule"),
        'get_effective_tracking_rule')
    tracking = fields.Function(fields.Selection(TRACKING, "Tracking"),
        'get_tracking', searcher='search_tracking')

    def get_effective_tracking_rule(self, name=None):
        if self.tracking_rule:
            return self.tracking_rule
        for category in self.categories:
            rule = category.get_tracking_rule()
            if rule:
                return rule

    def get_tracking(self, name):
        rule = self.effective_tracking_rule
        return rule.tracking if rule else 'none'

    @classmethod
    def search_tracking(cls, name, clause):
        pool = Pool()
        Rule = pool.get('serial_mes.tracking.rule')
        Category = pool.get('product.category')
        _, operator, value = clause[:3]
        values = set(value if isinstance(value, (list, tuple)) else [value])
        if operator in {'!=', 'not in'}:
            values = {t for t, _ in TRACKING} - values
        elif operator not in {'=', 'in'}:
            raise ValueError("unsupported operator %r" % operator)
        rule_ids = [r.id for r in Rule.search([
                    ('tracking', 'in', list(values)),
                    ('active', 'in', [True, False]),
                    ])]
        # Categories are few: resolve their inherited rules in Python
        categories = Category.search([])
        effective = {c.id: c.get_tracking_rule() for c in categories}
        matching = [c for c, r in effective.items() if r and r.id in rule_ids]
        ruled = [c for c, r in effective.items() if r]
        domain = ['OR',
            ('tracking_rule', 'in', rule_ids),
            [('tracking_rule', '=', None), ('categories', 'in', matching)],
            ]
        if 'none' in values:
            domain.append([('tracking_rule', '=', None),
                    ('categories', 'not in', ruled)])
        return domain


class Product(metaclass=PoolMeta):
    __name__ = 'product.product'

    @property
    def serial_rule(self):
        "The tracking rule if the product is serial-tracked"
        rule = self.template.effective_tracking_rule
        if rule and rule.tracking == 'serial':
            return rule

    @property
    def gtin(self):
        from .gs1 import BarcodeError, normalize_gtin
        for identifier in self.identifiers:
            if identifier.type == 'ean':
                try:
                    return normalize_gtin(identifier.code)
                except BarcodeError:
                    continue

    def lot_is_required(self, from_, to):
        rule = self.serial_rule
        if rule and rule.serial_full:
            return True
        return super().lot_is_required(from_, to)

    @classmethod
    def search_gtin(cls, gtin):
        "Products whose GTIN identifier equals gtin, in any zero-padding"
        key = (Transaction().database.name, gtin)
        ids = _gtin_cache.get(key)
        if ids is None:
            ids = [p.id for p in cls._search_gtin(gtin)]
            if ids:
                # a GTIN unknown now may be added any moment: not cached
                _gtin_cache.set(key, ids)
        return cls.browse(ids)

    @classmethod
    def find_code(cls, code):
        """The product of code: its code, or a GTIN (as typed or scanned
        off a box); a clear error otherwise"""
        from .gs1 import BarcodeError, normalize_gtin
        code = code.strip() if isinstance(code, str) else ''
        products = cls.search([('code', '=', code)], limit=1) if (
            code and len(code) <= 200) else []
        if not products and code.isdigit():
            try:
                products = cls.search_gtin(normalize_gtin(code))
            except BarcodeError:
                products = []
        if not products:
            raise SerialNumberError(gettext('serial_mes.msg_product_unknown',
                    code=code[:200]))
        return products[0]

    @classmethod
    def _search_gtin(cls, gtin):
        stripped = gtin.lstrip('0')
        codes = {gtin, stripped} | {
            stripped.zfill(n) for n in (8, 12, 13, 14) if len(stripped) <= n}
        return cls.search([
                ('identifiers', 'where', [
                        ('type', '=', 'ean'),
                        ('code', 'in', sorted(codes)),
                        ]),
                ])
