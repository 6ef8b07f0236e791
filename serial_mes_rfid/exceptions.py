# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class RfidError(UserError):
    "A batch of reads that is rejected: nothing of it is written"


class AntennaError(ValidationError):
    pass
