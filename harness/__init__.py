"""What tests and benchmarks share to run the real bot against the test stages.

``process.BotProcess`` runs ``python -m bot`` as a subprocess; ``world`` gives its environment
for a Discord emulator and a Pika simulator, and free ports for its HTTP server.
"""
