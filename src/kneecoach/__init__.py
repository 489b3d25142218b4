"""kneecoach: runners' knee pain, from intake to an explained, phased plan.

Education, not a diagnosis: see :data:`kneecoach.DISCLAIMER`.
"""

__version__ = "0.1.0"
