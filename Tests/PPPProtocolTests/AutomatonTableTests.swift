import PPPProtocol
import Testing

/// RFC 1661 §4.1's state transition table, checked cell by cell against ``AutomatonState/transition(on:)``.
struct AutomatonTableTests {
    /// The table as printed in RFC 1661 §4.1 (both halves joined; "-" is an illegal transition; footnote letters
    /// r, p and x follow the next state).
    static let table = """
              | Initial Starting Closed Stopped Closing Stopping Req-Sent Ack-Rcvd Ack-Sent Opened
         Up   |    2     irc,scr/6     -         -         -         -      -        -        -        -
         Down |    -         -         0       tls/1       0         1      1        1        1      tld/1
         Open |  tls/1       1     irc,scr/6     3r        5r        5r     6        7        8        9r
         Close|    0       tlf/0       2         2         4         4  irc,str/4 irc,str/4 irc,str/4 tld,irc,str/4
         TO+  |    -         -         -         -       str/4     str/5  scr/6    scr/6    scr/8      -
         TO-  |    -         -         -         -       tlf/2     tlf/3  tlf/3p   tlf/3p   tlf/3p     -
         RCR+ |    -         -       sta/2 irc,scr,sca/8   4         5    sca/8  sca,tlu/9  sca/8  tld,scr,sca/8
         RCR- |    -         -       sta/2 irc,scr,scn/6   4         5    scn/6    scn/7    scn/6  tld,scr,scn/6
         RCA  |    -         -       sta/2     sta/3       4         5    irc/7    scr/6x irc,tlu/9 tld,scr/6x
         RCN  |    -         -       sta/2     sta/3       4         5  irc,scr/6  scr/6x irc,scr/8 tld,scr/6x
         RTR  |    -         -       sta/2     sta/3     sta/4     sta/5  sta/6    sta/6    sta/6  tld,zrc,sta/5
         RTA  |    -         -         2         3       tlf/2     tlf/3    6        6        8     tld,scr/6
         RUC  |    -         -       scj/2     scj/3     scj/4     scj/5  scj/6    scj/7    scj/8    scj/9
         RXJ+ |    -         -         2         3         4         5      6        6        8        9
         RXJ- |    -         -       tlf/2     tlf/3     tlf/2     tlf/3  tlf/3    tlf/3    tlf/3  tld,irc,str/5
         RXR  |    -         -         2         3         4         5      6        7        8      ser/9
        """

    struct Cell: Sendable, CustomStringConvertible {
        var state: AutomatonState
        var event: AutomatonEvent
        /// `nil` for "-".
        var expected: AutomatonTransition?
        var text: String

        var description: String { "\(self.event.rawValue) in \(self.state): \(self.text)" }
    }

    static let cells: [Cell] = {
        var cells: [Cell] = []
        for line in table.split(separator: "\n").dropFirst() {
            let halves = line.split(separator: "|")
            let event = AutomatonEvent(rawValue: halves[0].trimmingWhitespace())!
            let texts = halves[1].split(separator: " ").map(String.init)
            precondition(texts.count == 10, "row \(event) has \(texts.count) cells")
            for (index, text) in texts.enumerated() {
                let state = AutomatonState(rawValue: index)!
                cells.append(Cell(state: state, event: event, expected: parse(text), text: text))
            }
        }
        return cells
    }()

    static func parse(_ text: String) -> AutomatonTransition? {
        if text == "-" { return nil }
        let parts = text.split(separator: "/")
        let actionText = parts.count == 2 ? String(parts[0]) : ""
        let stateText = String(parts.last!).filter(\.isNumber)  // drop footnotes r, p, x
        let actions = actionText.split(separator: ",").map { AutomatonAction(rawValue: String($0))! }
        return AutomatonTransition(actions, AutomatonState(rawValue: Int(stateText)!)!)
    }

    @Test func tableHasEveryCell() {
        #expect(Self.cells.count == AutomatonState.allCases.count * AutomatonEvent.allCases.count)
        #expect(Self.cells.filter { $0.expected != nil }.count == 120)
    }

    @Test(arguments: Self.cells.filter { $0.expected != nil })
    func legalTransition(_ cell: Cell) {
        #expect(cell.state.transition(on: cell.event) == cell.expected, "\(cell)")
    }

    @Test(arguments: Self.cells.filter { $0.expected == nil })
    func illegalTransitionIsIgnored(_ cell: Cell) {
        #expect(cell.state.transition(on: cell.event) == nil, "\(cell)")
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
