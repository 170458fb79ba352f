"""Background work: the work-order sweeper (every five minutes: deadlines are in hours)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_periodic_task(crontab(minute="*/5"))
def sweep_work_orders():
    """Escalate the orders past a deadline; a missed run only delays it (the next one takes everything overdue)."""
    return services.escalate_overdue()


@db_task(retries=3, retry_delay=30)
def push_exchange_message(message_id):
    """Send one outbox message to its partner platform (``exchange.deliver``); raise to retry while it is pending."""
    from . import exchange

    message = exchange.deliver(message_id)
    if message.status == message.Status.PENDING:
        raise RuntimeError(f"exchange message {message_id} not delivered: {message.last_error}")


@db_periodic_task(crontab(minute="*/5"))
def push_pending_exchange_messages():
    """Messages still waiting (the queue was down, or the partner): try each again."""
    from . import exchange

    return sum(exchange.deliver(pk).status == "sent" for pk in exchange.pending_messages())
