"""The parts of :class:`kiosk.model.KioskModel`: one shared state, and one flow object per concern.

:mod:`~kiosk.flows.state` names every field the flows share (:class:`KioskState`, with the citizen in
front of the kiosk); :mod:`~kiosk.flows.core` holds it with the ports (:class:`KioskCore`). Each flow
object receives that core, and the flows it hands over to, when the model builds it::

    state     KioskState, Citizen: the shared fields, each documented, behind one lock
    core      KioskCore, KioskPorts, KioskSettings: the screen, listeners, prompts, home and pick screens
    health    ServiceHealth: printer and server checks, network inputs, out of service, published health
    issuing   TicketFlow: the priority options page, the ticket transaction and its result screens
    matter    MatterFlow: service, matter page, materials check, one-time notice   (hands over to issuing)
    checkin   CheckinFlow: appointment check-in and the walk-in after a late one    (hands over to issuing)
    home      HomeFlow: home, search, elderly mode and voice, the idle reset

Import the model from :mod:`kiosk.model`; these modules are its implementation.
"""
