package dev.portico.config;

/**
 * Demo mode ({@code portico.demo}): where the web demo app is served, apart from Portico's own listener so
 * that its calls are cross-origin.
 *
 * @param pagePort 0..65535 on {@code portico.listen.host}; 0 asks the OS for an ephemeral port
 */
public record DemoSettings(int pagePort) {}
