# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class SerialNumberError(ValidationError):
    pass


class SerialQuantityError(ValidationError):
    pass


class TrackingRuleError(ValidationError):
    pass


class EventAppendOnlyError(AccessError):
    pass


class SerialNotFound(UserError):
    pass


class InstallationError(ValidationError):
    pass


class ReceivingError(ValidationError):
    pass


class DeviceError(UserError):
    pass
