import TOML
import Testing

/// Valid documents taken from the examples of the TOML v1.0.0 specification (https://toml.io/en/v1.0.0).
@Suite struct TOMLSpecExampleTests {
    @Test func frontPageExampleWithoutDateTime() throws {
        let document = try TOMLParser.parse(
            """
            # This is a TOML document

            title = "TOML Example"

            [owner]
            name = "Tom Preston-Werner"

            [database]
            enabled = true
            ports = [ 8000, 8001, 8002 ]
            data = [ ["delta", "phi"], [3.14] ]
            temp_targets = { cpu = 79.5, case = 72.0 }

            [servers]

            [servers.alpha]
            ip = "10.0.0.1"
            role = "frontend"

            [servers.beta]
            ip = "10.0.0.2"
            role = "backend"
            """)
        #expect(
            document
                == .table([
                    "title": .string("TOML Example"),
                    "owner": .table(["name": .string("Tom Preston-Werner")]),
                    "database": .table([
                        "enabled": .boolean(true),
                        "ports": .array([.integer(8000), .integer(8001), .integer(8002)]),
                        "data": .array([.array([.string("delta"), .string("phi")]), .array([.float(3.14)])]),
                        "temp_targets": .table(["cpu": .float(79.5), "case": .float(72.0)]),
                    ]),
                    "servers": .table([
                        "alpha": .table(["ip": .string("10.0.0.1"), "role": .string("frontend")]),
                        "beta": .table(["ip": .string("10.0.0.2"), "role": .string("backend")]),
                    ]),
                ]))
        #expect(document["database"]?["ports"]?[1]?.int == 8001)
        #expect(document["servers"]?["beta"]?["role"]?.string == "backend")
        #expect(document["database"]?["enabled"]?.bool == true)
        #expect(document["database"]?["temp_targets"]?["cpu"]?.double == 79.5)
        #expect(document["missing"] == nil)
    }

    @Test func keys() throws {
        let document = try TOMLParser.parse(
            #"""
            key = "value"
            bare_key = "value"
            bare-key = "value"
            1234 = "value"
            "127.0.0.1" = "value"
            "character encoding" = "value"
            "ʎǝʞ" = "value"
            'key2' = "value"
            'quoted "value"' = "value"
            "" = "blank"
            """#)
        let keys = try #require(document.table).keys.sorted()
        #expect(
            keys == [
                "", "1234", "127.0.0.1", "bare-key", "bare_key", "character encoding", "key", "key2",
                "quoted \"value\"", "ʎǝʞ",
            ])
    }

    @Test func dottedKeys() throws {
        let document = try TOMLParser.parse(
            """
            name = "Orange"
            physical.color = "orange"
            physical.shape = "round"
            site."google.com" = true
            fruit.name = "banana"     # this is best practice
            fruit. color = "yellow"    # same as fruit.color
            fruit . flavor = "banana"   # same as fruit.flavor
            3.14159 = "pi"
            """)
        #expect(document["physical"] == .table(["color": .string("orange"), "shape": .string("round")]))
        #expect(document["site"]?["google.com"] == .boolean(true))
        #expect(document["fruit"]?.table?.count == 3)
        #expect(document["3"]?["14159"] == .string("pi"))
    }

    @Test func basicAndMultilineStrings() throws {
        let document = try TOMLParser.parse(
            #"""
            str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF."
            str1 = """
            Roses are red
            Violets are blue"""
            lazy1 = "The quick brown fox jumps over the lazy dog."
            lazy2 = """
            The quick brown \


              fox jumps over \
                the lazy dog."""
            lazy3 = """\
                   The quick brown \
                   fox jumps over \
                   the lazy dog.\
                   """
            str4 = """Here are two quotation marks: "". Simple enough."""
            str5 = """Here are three quotation marks: ""\"."""
            str6 = """Here are fifteen quotation marks: ""\"""\"""\"""\"""\"."""
            str7 = """"This," she said, "is just a pointless statement.""""
            emoji = "\U0001F600"
            """#)
        #expect(document["str"]?.string == "I'm a string. \"You can quote me\". Name\tJosé\nLocation\tSF.")
        #expect(document["str1"]?.string == "Roses are red\nViolets are blue")
        #expect(document["lazy2"] == document["lazy1"])
        #expect(document["lazy3"] == document["lazy1"])
        #expect(document["str4"]?.string == #"Here are two quotation marks: "". Simple enough."#)
        #expect(document["str5"]?.string == #"Here are three quotation marks: """."#)
        #expect(
            document["str6"]?.string == "Here are fifteen quotation marks: " + String(repeating: "\"", count: 15) + ".")
        #expect(document["str7"]?.string == #""This," she said, "is just a pointless statement.""#)
        #expect(document["emoji"]?.string == "😀")
    }

    @Test func literalStrings() throws {
        let document = try TOMLParser.parse(
            #"""
            winpath  = 'C:\Users\nodejs\templates'
            winpath2 = '\\ServerX\admin$\system32\'
            quoted   = 'Tom "Dubs" Preston-Werner'
            regex    = '<\i\c*\s*>'
            regex2 = '''I [dw]on't need \d{2} apples'''
            lines  = '''
            The first newline is
            trimmed in raw strings.
               All other whitespace
               is preserved.
            '''
            quot15 = '''Here are fifteen quotation marks: """""""""""""""'''
            apos15 = "Here are fifteen apostrophes: '''''''''''''''"
            str = ''''That,' she said, 'is still pointless.''''
            """#)
        #expect(document["winpath"]?.string == #"C:\Users\nodejs\templates"#)
        #expect(document["winpath2"]?.string == #"\\ServerX\admin$\system32\"#)
        #expect(document["quoted"]?.string == #"Tom "Dubs" Preston-Werner"#)
        #expect(document["regex"]?.string == #"<\i\c*\s*>"#)
        #expect(document["regex2"]?.string == #"I [dw]on't need \d{2} apples"#)
        #expect(
            document["lines"]?.string
                == "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n")
        #expect(document["quot15"]?.string == "Here are fifteen quotation marks: " + String(repeating: "\"", count: 15))
        #expect(document["apos15"]?.string == "Here are fifteen apostrophes: " + String(repeating: "'", count: 15))
        #expect(document["str"]?.string == "'That,' she said, 'is still pointless.'")
    }

    @Test func integers() throws {
        let document = try TOMLParser.parse(
            """
            int1 = +99
            int2 = 42
            int3 = 0
            int4 = -17
            int5 = 1_000
            int6 = 5_349_221
            int7 = 53_49_221
            int8 = 1_2_3_4_5
            hex1 = 0xDEADBEEF
            hex2 = 0xdeadbeef
            hex3 = 0xdead_beef
            oct1 = 0o01234567
            oct2 = 0o755
            bin1 = 0b11010110
            max = 9223372036854775807
            min = -9223372036854775808
            """)
        let expected: [String: Int64] = [
            "int1": 99, "int2": 42, "int3": 0, "int4": -17, "int5": 1000, "int6": 5_349_221, "int7": 5_349_221,
            "int8": 12345, "hex1": 0xDEAD_BEEF, "hex2": 0xDEAD_BEEF, "hex3": 0xDEAD_BEEF, "oct1": 0o01234567,
            "oct2": 0o755, "bin1": 0b11010110, "max": .max, "min": .min,
        ]
        #expect(document == .table(expected.mapValues { .integer($0) }))
    }

    @Test func floats() throws {
        let document = try TOMLParser.parse(
            """
            flt1 = +1.0
            flt2 = 3.1415
            flt3 = -0.01
            flt4 = 5e+22
            flt5 = 1e06
            flt6 = -2E-2
            flt7 = 6.626e-34
            flt8 = 224_617.445_991_228
            sf1 = inf
            sf2 = +inf
            sf3 = -inf
            sf4 = nan
            """)
        #expect(document["flt1"] == .float(1.0))
        #expect(document["flt2"] == .float(3.1415))
        #expect(document["flt3"] == .float(-0.01))
        #expect(document["flt4"] == .float(5e22))
        #expect(document["flt5"] == .float(1e6))
        #expect(document["flt6"] == .float(-2e-2))
        #expect(document["flt7"] == .float(6.626e-34))
        #expect(document["flt8"] == .float(224_617.445_991_228))
        #expect(document["sf1"] == .float(.infinity))
        #expect(document["sf2"] == .float(.infinity))
        #expect(document["sf3"] == .float(-.infinity))
        #expect(try #require(document["sf4"]?.double).isNaN)
    }

    @Test func arrays() throws {
        let document = try TOMLParser.parse(
            """
            integers = [ 1, 2, 3 ]
            nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]
            string_array = [ "all", 'strings', \"\"\"are the same\"\"\", '''type''' ]
            contributors = [
              "Foo Bar <foo@example.com>",
              { name = "Baz Qux", email = "bazqux@example.com", url = "https://example.com/bazqux" }
            ]
            integers3 = [
              1,
              2, # this is ok
            ]
            empty = [ ]
            points = [ { x = 1, y = 2, z = 3 },
                       { x = 7, y = 8, z = 9 } ]
            """)
        #expect(document["integers"] == .array([.integer(1), .integer(2), .integer(3)]))
        #expect(document["nested_mixed_array"]?[1]?[2] == .string("c"))
        #expect(document["string_array"] == .array(["all", "strings", "are the same", "type"].map { .string($0) }))
        #expect(document["contributors"]?[1]?["url"]?.string == "https://example.com/bazqux")
        #expect(document["integers3"] == .array([.integer(1), .integer(2)]))
        #expect(document["empty"] == .array([]))
        #expect(document["points"]?[1]?["y"] == .integer(8))
    }

    @Test func tables() throws {
        let document = try TOMLParser.parse(
            """
            [dog."tater.man"]
            type.name = "pug"

            [a.b.c]            # this is best practice
            [ d.e.f ]          # same as [d.e.f]
            [ j . "ʞ" . 'l' ]  # same as [j."ʞ".'l']

            [x.y.z.w] # for this to work
            [x] # defining a super-table afterward is ok

            [fruit]
            apple.color = "red"
            apple.taste.sweet = true

            [fruit.apple.texture]  # you can add sub-tables
            smooth = true
            """)
        #expect(document["dog"]?["tater.man"]?["type"]?["name"] == .string("pug"))
        #expect(document["a"]?["b"]?["c"] == .table([:]))
        #expect(document["d"]?["e"]?["f"] == .table([:]))
        #expect(document["j"]?["ʞ"]?["l"] == .table([:]))
        #expect(document["x"]?["y"]?["z"]?["w"] == .table([:]))
        #expect(document["fruit"]?["apple"]?["taste"]?["sweet"] == .boolean(true))
        #expect(document["fruit"]?["apple"]?["texture"]?["smooth"] == .boolean(true))
    }

    @Test func inlineTables() throws {
        let document = try TOMLParser.parse(
            """
            name = { first = "Tom", last = "Preston-Werner" }
            point = { x = 1, y = 2 }
            animal = { type.name = "pug" }
            empty = {}
            """)
        #expect(document["name"] == .table(["first": .string("Tom"), "last": .string("Preston-Werner")]))
        #expect(document["animal"]?["type"]?["name"] == .string("pug"))
        #expect(document["empty"] == .table([:]))
    }

    @Test func arraysOfTables() throws {
        let document = try TOMLParser.parse(
            """
            [[products]]
            name = "Hammer"
            sku = 738594937

            [[products]]  # empty table within the array

            [[products]]
            name = "Nail"
            sku = 284758393

            color = "gray"

            [[fruits]]
            name = "apple"

            [fruits.physical]  # subtable
            color = "red"
            shape = "round"

            [[fruits.varieties]]  # nested array of tables
            name = "red delicious"

            [[fruits.varieties]]
            name = "granny smith"

            [[fruits]]
            name = "banana"

            [[fruits.varieties]]
            name = "plantain"
            """)
        #expect(
            document["products"]
                == .array([
                    .table(["name": .string("Hammer"), "sku": .integer(738_594_937)]),
                    .table([:]),
                    .table(["name": .string("Nail"), "sku": .integer(284_758_393), "color": .string("gray")]),
                ]))
        #expect(document["fruits"]?.array?.count == 2)
        #expect(document["fruits"]?[0]?["physical"]?["shape"] == .string("round"))
        #expect(document["fruits"]?[0]?["varieties"]?[1]?["name"] == .string("granny smith"))
        #expect(document["fruits"]?[1]?["varieties"] == .array([.table(["name": .string("plantain")])]))
    }

    @Test func lineEndingsAndEmptyDocument() throws {
        #expect(try TOMLParser.parse("") == .table([:]))
        #expect(try TOMLParser.parse("# only a comment") == .table([:]))
        #expect(try TOMLParser.parse("a = 1\r\nb = 'x' # c\r\n") == .table(["a": .integer(1), "b": .string("x")]))
    }
}
