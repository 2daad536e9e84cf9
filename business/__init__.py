"""Reference business (enterprise marketing) system behind the robot. The actions talk to it
only through the adapter interface in business.adapter, so a utility can plug in its own."""
