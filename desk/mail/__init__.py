"""Email in and out for the desk: the outbox (queue, compose, deliver with retries), and receiving
(parse one RFC 822 message, then create or continue a ticket). No Flask, no models: the web layer
hands a `MailRenderer` in for the bodies, so templates and translations stay with the interface.
"""
