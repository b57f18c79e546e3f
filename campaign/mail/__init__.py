"""Mail: composing messages and the outbox they wait in until a worker sends them."""
