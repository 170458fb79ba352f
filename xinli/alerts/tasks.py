"""Background work: the escalation sweeper (every 30 s) and sending notifications with retries."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services
from .models import Delivery

log = logging.getLogger("xinli.alerts")

SWEEP_SECONDS = 30


@db_periodic_task(crontab(minute="*"))
def sweep_alerts():
    """Escalate overdue alerts now and again half a minute later (Huey's periodic tasks run at most once a minute).
    A missed run only delays escalation: the next one processes everything overdue."""
    done = services.escalate_overdue()
    sweep_alerts_again.schedule(delay=SWEEP_SECONDS)
    return done


@db_task()
def sweep_alerts_again():
    return services.escalate_overdue()


@db_task(retries=3, retry_delay=20, context=True)
def send_delivery(delivery_id, task=None):
    final = task is None or task.retries == 0
    services.deliver(delivery_id, final=final)


@db_periodic_task(crontab(minute="*/5"))
def requeue_stuck_deliveries():
    """Deliveries still pending some minutes after they were created were never queued (queue down): queue them."""
    cutoff = timezone.now() - timedelta(minutes=2)
    ids = list(Delivery.objects.filter(status=Delivery.Status.PENDING, notification__created_at__lte=cutoff)
               .values_list("pk", flat=True)[:1000])
    services.enqueue_deliveries(ids)
    return len(ids)
