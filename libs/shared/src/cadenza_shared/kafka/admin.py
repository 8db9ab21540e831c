"""Create Cadenza's topics (and their dead-letter topics) if they are missing."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from cadenza_shared import topics


async def ensure_topics(bootstrap: str, *, prefix: str = "", partitions: int = 3, replication: int = 1) -> list[str]:
    """Create every topic and `<topic>.dlq` that does not exist yet; return the ones created."""
    wanted: dict[str, dict[str, str]] = {}
    for name in topics.ALL:
        config = {"cleanup.policy": "compact"} if name in topics.COMPACTED else {}
        wanted[prefix + name] = config
        wanted[prefix + topics.dead_letter(name)] = {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in wanted if n not in existing]
        if missing:
            new = [NewTopic(n, partitions, replication, topic_configs=wanted[n] or None) for n in missing]
            try:
                response = await admin.create_topics(new)
            except TopicAlreadyExistsError:
                return missing
            refused = [
                f"{error[0]} ({error[2] or 'error ' + str(error[1])})"
                for error in getattr(response, "topic_errors", [])
                if error[1] not in (0, TopicAlreadyExistsError.errno)
            ]
            if refused:
                raise RuntimeError(f"the broker refused to create: {', '.join(refused)}")
        return missing
    finally:
        await admin.close()
