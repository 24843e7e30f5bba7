"""The shared vocabulary: value types that cross layers (a message, a score,
the role names). Every layer may import it; it imports nothing of the project,
so the store can keep what a monitor found without depending on the monitors."""
