// Package mappings holds the national terminology docbridge derives document
// metadata from: the ANS value sets (JDV_*), code systems (TRE_*) and
// correspondence tables (ASS_*) of the CI-SIS, plus the operator's own
// local-code maps.
//
// The national files live in data/ (see data/SOURCES.md for where each one
// comes from) and are embedded in the binary. Load parses them once, then
// reads the operator's override directory, and returns a *Set that is
// immutable and safe for concurrent use. Load is the only function that does
// I/O; nothing here reads environment variables or package state.
//
// What each table is used for:
//
//   - JDV_J07 (typeCode), JDV_J06 (classCode), JDV_J10 (formatCode), JDV_J02
//     (healthcareFacilityTypeCode), JDV_J04 (practiceSettingCode), JDV_J08
//     (confidentialityCode), JDV_J01 (authorSpecialty), JDV_J143 (gender) and
//     the DMP sets J57, J58, J60: membership and display names (Lookup,
//     Contains, Members).
//   - ASS_X04: typeCode → classCode (ClassOf).
//   - ASS_A11 (JSON and SVS copies, merged): CDA templateId → formatCode
//     (FormatForTemplates).
//   - ASS_12: nonXMLBody mediaType → formatCode (FormatForMediaType).
//   - filename-patterns.yaml (not a national table): the file names that
//     carry a PDF's metadata when it comes without a sidecar, such as
//     <INS>_<type>_<date>.pdf (MatchFilename, FilenamePattern).
//
// Retired concepts (an SVS dateFin, a CodeSystem status deprecated or
// retired) are not members: TRE_A04 keeps 17 of them. A concept map's targets
// must be in the value set that map feeds (ASS_X04 → JDV_J06, ASS_A11 and
// ASS_12 → JDV_J10); a target the loaded copy lacks but another loaded value
// set holds is added to it, with that set's display. This happens once with
// the embedded data: ASS_A11 maps the TROD template to
// urn:ans:ci-sis:trod:2024, which the JDV_J10 copy predates and JDV_J60
// holds. A target found in no value set is a Load error.
//
// ASS-X16-CorrespondanceType-Classe-DMP.fsh is kept in data/ but not
// embedded: it is the DMP restriction of ASS_X04 and agrees with it on all
// of its pairs (a test checks this), so ASS_X04 alone drives ClassOf.
//
// Code systems are compared in canonical form (see SystemURI), so a lookup
// accepts an OID, "urn:oid:<OID>" or the system's FHIR URI.
//
// # Override directory
//
// Load(dir) reads every regular file of dir (not its subdirectories):
//
//   - a .xml or .json data file named like an embedded one replaces it, and
//     must define the same table; any other .xml or .json data file adds to
//     the tables. Files that define the same table (same JDV/TRE/ASS number)
//     are merged: a code given two different displays, or a map source given
//     different targets by two files, is an error naming both files. The
//     formats are those of data/: IHE SVS XML (value sets, and the NOS
//     MappedConcept tables) and FHIR JSON ValueSet (explicit concept lists),
//     CodeSystem and ConceptMap. XML files with a DOCTYPE or entity
//     declaration are refused.
//   - local-codes.yaml maps local codes to national ones (see LocalCode).
//   - filename-patterns.yaml replaces the embedded filename-pattern list as
//     a whole (see FilenamePattern); an empty list turns the patterns off.
//   - any other .yaml or .yml file is an error (a misspelt local-codes.yaml
//     must not be silently ignored); other files (README, SOURCES.md, …) and
//     names starting with "." are ignored.
package mappings
