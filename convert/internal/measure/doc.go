// Package measure holds what the converters share to make a measurement
// document (docbridge.KindMeasurement) from a source's reading: the
// number's syntax, the unit's conversion to the MES profile's and the
// range check, the status's consequence, the id and content. It is the
// one home of these rules for convert/hl7v2 and convert/cda.
package measure
