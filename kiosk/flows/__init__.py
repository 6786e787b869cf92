"""The parts of :class:`kiosk.model.KioskModel`, one module per flow, each a mixin over the shared state.

Each layer uses only the ones below it::

    core      KioskCore: the citizen, the screen, the lock and listeners, prompts, home and pick screens
    health    ServiceHealth: printer and server checks, network inputs, out of service, published health
    issuing   TicketFlow: the priority options page, the ticket transaction and its result screens
    matter    MatterFlow: service, matter page, materials check, one-time notice      (over issuing)
    checkin   CheckinFlow: appointment check-in and the walk-in after a late one       (over issuing)
    home      HomeFlow: home, search, elderly mode and voice, the idle reset           (over health)

Import the model from :mod:`kiosk.model`; these modules are its implementation.
"""
