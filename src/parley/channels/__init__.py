"""Channels: the ways chat clients reach an assistant (REST, socket.io). Each channel turns
its clients' messages into :class:`~parley.core.messages.UserMessage` and hands them to a
:class:`~parley.channels.channel.Conversations`; it never touches an agent itself."""
