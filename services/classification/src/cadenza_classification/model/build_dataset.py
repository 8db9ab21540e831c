"""Build the labelled reply set ``model/data/replies.jsonl`` (deterministic; run to regenerate).

    python -m cadenza_classification.model.build_dataset

Every text below was written for Cadenza: replies to a cold e-mail about invoice
approvals / AP automation (and a few other pitches), from fictitious people at
fictitious companies (``*.example`` domains).  Each *core* reply is written by
hand per label and language; slots (``{name}``, ``{date}`` ...) are filled from
small lists, and each core is wrapped twice (greeting, sign-off, a neutral
context sentence or none) so the model learns that greetings and signatures
carry no intent.

The split is fixed and grouped: both variants of a core share a ``group`` and
always land on the same side, so the held-out set never contains a paraphrase
of a training text.  About a quarter of the groups of every (label, language)
are held out (``split == "test"``).

Human relabels exported from the database go to ``relabels.jsonl`` next to this
file (always ``train``), so rebuilding this set never loses them.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

__all__ = ["DATA_PATH", "RELABELS_PATH", "build", "main"]

DATA_DIR = Path(__file__).with_name("data")
DATA_PATH = DATA_DIR / "replies.jsonl"
RELABELS_PATH = DATA_DIR / "relabels.jsonl"
SEED = 20270315
TEST_SHARE = 0.25

Entry = str | tuple[str, str]  # text, or (text, "tag,tag")

# --------------------------------------------------------------------------- #
# slot values (all fictitious)
# --------------------------------------------------------------------------- #

FIRST = [
    "Jane",
    "Marcus",
    "Priya",
    "Tom",
    "Lena",
    "Kofi",
    "Sofia",
    "Daniel",
    "Aiko",
    "Rafael",
    "Ingrid",
    "Omar",
    "Claire",
    "Mateo",
    "Hannah",
    "Yusuf",
    "Elena",
    "Pieter",
    "Chloé",
    "Joana",
    "Sanne",
    "Lukas",
    "Amara",
    "Bruno",
    "Nadia",
    "Felix",
]
LAST = [
    "Roe",
    "Hale",
    "Varga",
    "Lindqvist",
    "Okafor",
    "Brandt",
    "Moreau",
    "Castillo",
    "Tanaka",
    "Albuquerque",
    "de Vries",
    "Novak",
    "Whitfield",
    "Kowalski",
    "Ferreira",
    "Jansen",
    "Müller",
    "Dubois",
    "Reyes",
    "Haddad",
    "Petrov",
    "Silva",
    "Bakker",
    "Duarte",
]
COMPANY = [
    "Northwind",
    "Thistledown",
    "Rheinwerk",
    "Pinecrest Health",
    "Vila Serena",
    "Quarry Lane",
    "Bluegate Logistics",
    "Halvorsen Foods",
    "Copperleaf",
    "Marisol Hotels",
    "Ostrava Steel",
    "Juniper Labs",
    "Kestrel Freight",
    "Aurelia Retail",
]
TOOL = ["Coupa", "Tipalti", "Bill.com", "SAP Concur", "a home-grown tool", "Basware", "our ERP's AP module", "Yooz", "Medius"]
DAY_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
TIME_EN = ["9am", "10:30", "11am", "2pm", "3:30pm", "4pm", "1pm ET", "10am CET", "9:30am PT"]
QUARTER = ["Q2", "Q3", "Q4", "Q1", "next quarter", "the second half of the year", "the new year"]
MONTH_EN = ["January", "February", "April", "May", "June", "July", "September", "October", "November"]

DATE_BY_LANG = {
    "en": ["March 22", "22 March", "Monday, April 5th", "3/29", "April 12th", "the 28th", "Tuesday 6 April", "April 1"],
    "de": ["22. März", "29.03.2027", "Montag, den 5. April", "12. April", "6.4.", "1. April"],
    "fr": ["22 mars", "lundi 5 avril", "29/03/2027", "12 avril", "mardi 6 avril"],
    "es": ["22 de marzo", "lunes 5 de abril", "29/03/2027", "12 de abril", "el martes 6 de abril"],
    "pt": ["22 de março", "segunda-feira, 5 de abril", "29/03/2027", "12 de abril"],
    "nl": ["22 maart", "maandag 5 april", "29-03-2027", "12 april", "dinsdag 6 april"],
}

# --------------------------------------------------------------------------- #
# wrappers: greeting, sign-off and label-neutral context per language
# --------------------------------------------------------------------------- #

GREETING = {
    "en": [
        "",
        "",
        "Hi Alex,\n\n",
        "Hello,\n\n",
        "Hey Sam -\n\n",
        "Dear Mr. Morgan,\n\n",
        "Alex,\n\n",
        "Hi there,\n\n",
        "Good morning,\n\n",
    ],
    "de": ["", "Hallo Herr Morgan,\n\n", "Guten Tag,\n\n", "Sehr geehrter Herr Morgan,\n\n", "Hallo Alex,\n\n"],
    "fr": ["", "Bonjour,\n\n", "Bonjour Monsieur,\n\n", "Bonjour Alex,\n\n"],
    "es": ["", "Hola Alex,\n\n", "Buenos días,\n\n", "Estimado Alex:\n\n"],
    "pt": ["", "Olá Alex,\n\n", "Bom dia,\n\n", "Prezado Alex,\n\n"],
    "nl": ["", "Hoi Alex,\n\n", "Beste Alex,\n\n", "Goedemiddag,\n\n"],
}
CLOSING = {
    "en": [
        "",
        "",
        "\n\nThanks",
        "\n\nBest,\n{first}",
        "\n\nCheers",
        "\n\nRegards,\n{first} {last}",
        "\n\nSent from my iPhone",
        "\n\nThanks,\n{first}",
    ],
    "de": ["", "\n\nViele Grüße\n{first}", "\n\nMit freundlichen Grüßen\n{first} {last}", "\n\nBeste Grüße"],
    "fr": ["", "\n\nCordialement,\n{first} {last}", "\n\nBien à vous", "\n\nMerci,\n{first}"],
    "es": ["", "\n\nSaludos,\n{first}", "\n\nUn saludo", "\n\nAtentamente,\n{first} {last}"],
    "pt": ["", "\n\nAbraços,\n{first}", "\n\nAtenciosamente,\n{first} {last}", "\n\nObrigado"],
    "nl": ["", "\n\nMet vriendelijke groet,\n{first} {last}", "\n\nGroeten,\n{first}", "\n\nGroet"],
}
# sentences that say nothing about intent, to vary length (used for human replies only)
CONTEXT = {
    "en": [
        "We're a 200-person logistics company and our AP team handles about 4,000 invoices a month.",
        "For context, I run finance operations for our European entities.",
        "I'm writing this between two meetings, so apologies for the brevity.",
        "Our year-end close just wrapped up.",
        "We have offices in Chicago and Toronto.",
        "I read your email on my phone this morning.",
        "We moved to a new ERP last spring.",
        "Sorry for the slow reply, it's been a hectic few weeks.",
    ],
    "de": [
        "Wir sind ein mittelständischer Maschinenbauer mit etwa 300 Mitarbeitern.",
        "Entschuldigen Sie die späte Antwort.",
        "Ich leite die Buchhaltung an unserem Standort in Köln.",
    ],
    "fr": [
        "Nous sommes une PME de 150 personnes basée à Lyon.",
        "Désolé pour la réponse tardive.",
        "Je m'occupe de la comptabilité fournisseurs depuis deux ans.",
    ],
    "es": [
        "Somos una empresa de distribución con sede en Valencia.",
        "Perdone la demora en responder.",
        "Llevo el departamento de cuentas a pagar.",
    ],
    "pt": [
        "Somos uma indústria de alimentos com cerca de 400 funcionários.",
        "Desculpe a demora para responder.",
        "Cuido da área de contas a pagar aqui.",
    ],
    "nl": [
        "Wij zijn een groothandel met vestigingen in Utrecht en Gent.",
        "Sorry voor de late reactie.",
        "Ik ben verantwoordelijk voor de crediteurenadministratie.",
    ],
}

# --------------------------------------------------------------------------- #
# the replies, by label and language
# --------------------------------------------------------------------------- #

BANK: dict[str, dict[str, list[Entry]]] = {
    "positive": {
        "en": [
            "Sounds interesting. Could we talk {day} at {time}?",
            "Yes, happy to chat. How's Thursday afternoon?",
            "This is actually timely - we're evaluating options this quarter. Send over some times.",
            "Sure, let's do 20 minutes next week. I'm free {day} after 1pm ET.",
            "I'd like to see a demo. Can you include pricing for about 40 users?",
            "Ok, you got my attention. What does next Monday look like for you?",
            "We've been complaining about invoice approvals for months. Let's talk.",
            "Please send me the deck and a couple of case studies, I'll share them with my team before we meet.",
            "Go ahead and book something on my calendar for Friday morning.",
            "Yes - this is on our roadmap for H2. Grab a slot here: cal.example.com/{first}",
            "Interesting timing, our controller asked me about exactly this yesterday. Are you free {day} at 10?",
            "Let's connect. I can do 3/24 at 11am PT or 3/25 at 9am PT.",
            "Happy to take a look. {day} works.",
            ("Sure, why not. 15 minutes max though.", "blunt"),
            "Worth a conversation. Send an invite and include whoever handles onboarding on your side.",
            "I'm open to a call. Our current process is a mess of spreadsheets, honestly.",
            "Can you send me a calendar invite for {day} at 4? I'll bring our AP lead.",
            "We'd love to learn more. What's the best way to get a trial going?",
            "Yes please. Mornings are best for me.",
            "Thanks for following up - yes, still interested. Next week is packed but the week after is wide open.",
            "Let's do it. Send the invite to this address.",
            "You caught me at a good time. Our contract with {tool} renews in May and I'd like to compare.",
            "Finally someone who gets it. When can we talk?",
            "Yes. Call me on my mobile any time after 3.",
            ("Appreciate the persistence :) Let's find 30 minutes. Does Wednesday the 17th work?", "polite"),
            "I'd be glad to hear how others in logistics handle this. Friday 9am CET?",
            "Looks promising. Can we get our IT team on the call as well? Thursday or Friday works.",
            "We're actively looking for something like this. Can you walk me through it this week?",
            ("Ha, your third email finally landed at the right moment. Let's talk.", "sarcasm"),
            ("Okay, I'll bite. How about a quick call tomorrow at 11?", "blunt"),
            "That's relevant for us. Please set up a meeting with me and our finance lead.",
            "Yes, interested. Can you do {day} at {time}?",
            "Send pricing and a short overview please. If it fits the budget we'll set up a call.",
            "This could save us a lot of time. I'm in - what are the next steps?",
            ("👍 {day} {time} works for me.", "short"),
            "Sure thing - book 30 min with me via the link in my signature.",
            "Great, let's get something on the calendar. I'm flexible next week.",
            "I've been meaning to look into this. Could you send a few times that work for you?",
            ("We already use {tool} but we're not happy with it. Open to a chat.", "mixed"),
            ("Not a bad idea actually. Give me a call next {day}.", "mixed"),
            "Happy to hop on a call, but I only have 15 minutes this week. Thursday 1:30?",
            "Interested, though I'll need to bring our CFO in. Can we aim for early next week?",
            "Yes. I'd like to understand how the ERP integration works before we go further. Let's book a demo.",
            "Your timing is good. We just lost our AP clerk and need something fast. Call me.",
            ("Let's talk. I'm not promising anything, but I'm curious.", "mixed"),
            "Sounds good to me. Monday 10am Eastern?",
            "I would love to see how this works with NetSuite. Are you available on Wednesday?",
            "Definitely worth a look. Please send over an invite for next week.",
            ("Sure, I'll give you 20 minutes. Make it count ;)", "sarcasm"),
            ("I usually delete these, but this one is actually relevant. Let's set up a call.", "sarcasm,mixed"),
            ("Not gonna lie, I was about to hit delete, but the 11-to-3-days number got me. {day}?", "sarcasm,mixed"),
            ("I'm out until Monday, but yes, let's talk when I'm back. Tuesday afternoon?", "mixed"),
            "Tell me more. How long would a pilot with one business unit take?",
            "We have a board meeting next week where this could come up, so let's talk before then. Does {day} work?",
            ("Yep.", "short"),
            ("Absolutely, let's chat.", "short"),
            "I'm the right person and yes, this is a problem for us. Send me an invite for any time Thursday.",
            "Can we do {day} at {time}? I'll have my laptop in front of me so you can show me the approval flow.",
            "Would love a demo for the team. Five of us would join - is that OK?",
            ("Well, you're persistent, I'll give you that. Fine, let's talk Thursday.", "sarcasm,mixed"),
            (
                "Good timing. Long version: our approvals live in email threads and nobody knows what is stuck where, "
                "our auditors flagged it twice, and I have budget left this year. Short version: let's meet.",
                "long",
            ),
        ],
        "de": [
            "Klingt interessant. Können wir nächste Woche Dienstag um 14 Uhr telefonieren?",
            "Gerne, schicken Sie mir bitte ein paar Terminvorschläge.",
            "Ja, das Thema ist bei uns gerade aktuell. Lassen Sie uns einen Termin vereinbaren.",
            "Grundsätzlich interessiert. Senden Sie mir gerne weitere Unterlagen.",
            "Donnerstag 10 Uhr würde mir passen.",
            "Das klingt spannend, ich hätte Zeit am Mittwochvormittag.",
            "Ja, bitte rufen Sie mich an. Am besten morgen zwischen 9 und 11 Uhr.",
            "Eine kurze Demo wäre super. Können Sie unseren Controller mit einladen?",
        ],
        "fr": [
            "Oui, ça m'intéresse. Êtes-vous disponible jeudi à 15h ?",
            "Avec plaisir, envoyez-moi une invitation pour mardi prochain.",
            "Intéressant. Pouvez-vous m'envoyer une présentation avant qu'on se parle ?",
            "Volontiers pour un échange de 20 minutes la semaine prochaine.",
            "Ça tombe bien, nous cherchons justement une solution. Parlons-en.",
            "Je suis partant pour une démo. Lundi ou mardi matin me conviendraient.",
            "Bonne idée, appelez-moi demain après 14h.",
        ],
        "es": [
            "Me interesa. ¿Podemos hablar el martes a las 10?",
            "Suena bien, envíeme más información y agendamos una llamada.",
            "Con gusto, el jueves por la tarde estoy disponible.",
            "Justo estamos buscando algo así. Hablemos esta semana.",
            "Sí, me gustaría ver una demo con mi equipo.",
            "Perfecto, mándame una invitación para el miércoles.",
        ],
        "pt": [
            "Olá, tenho interesse. Podemos conversar na quinta às 14h?",
            "Parece bom. Me mande mais detalhes e marcamos uma reunião.",
            "Claro, pode agendar uma demonstração para a próxima semana.",
            "Sim, vamos conversar. Terça de manhã funciona para mim.",
            "Gostei. Quero ver como funciona com o nosso ERP.",
        ],
        "nl": [
            "Klinkt goed, ik ben dinsdag om 11 uur beschikbaar.",
            "Ja, interessant. Stuur me een uitnodiging voor volgende week.",
            "Graag, laten we volgende week even bellen.",
            "Ik ben geïnteresseerd. Kunt u mij wat meer informatie sturen?",
            "Prima, donderdagmiddag komt mij goed uit.",
        ],
    },
    "negative": {
        "en": [
            ("Not interested, thanks.", "short"),
            "We're all set with our current provider.",
            ("No thanks.", "short"),
            "Thanks, but we just signed a three-year deal with {tool}.",
            ("Oh great, another AP tool that will 'transform' our finance team. Hard pass.", "sarcasm"),
            "Appreciate the note, but this isn't a priority for us this year.",
            ("Not now, try me in {quarter}.", "deferral,mixed"),
            ("Timing isn't right - we're mid-migration. Reach out again in September.", "deferral"),
            "We built this in-house years ago, so no need.",
            "Please don't follow up on this.",
            ("We have no budget for new tools until next fiscal year. Check back in January.", "deferral"),
            ("Let me be blunt: we will never outsource AP.", "blunt"),
            ("Wow, a fourth email. Persistence is admirable but the answer is still no.", "sarcasm"),
            ("Sure, because what I really need is another vendor demo. No.", "sarcasm"),
            "We evaluated you last year and went a different direction.",
            "Not a fit for a company our size. We're 12 people.",
            "I'll pass, thanks.",
            "Our parent company mandates the tooling, so this is out of my hands. Sorry.",
            ("Thanks for thinking of us, but we're happy with what we have.", "polite"),
            ("Not interested at this time. Maybe revisit next year.", "deferral"),
            "We're in a hiring and spending freeze, nothing new gets bought this year.",
            ("Interesting, but not for us.", "mixed"),
            ("No capacity to take this on right now. Ping me after the summer.", "deferral"),
            ("Circle back in six months, we'll see where we are.", "deferral"),
            ("Honestly, I get ten of these a day. Not interested.", "blunt"),
            ("Nah.", "short"),
            "We don't have this problem. Our approvals take a day.",
            ("Lol no.", "short,sarcasm"),
            ("Yeah, no.", "short,sarcasm"),
            ("Sounds great in theory. In practice we just finished implementing {tool}, so no.", "mixed"),
            "Thanks but no thanks.",
            ("We're good.", "short"),
            "All set here, thanks!",
            ("Maybe next year. Budget's gone.", "deferral"),
            ("The timing is bad - we're being acquired. Try again next year.", "deferral"),
            ("Not in the market for this. Feel free to check back in {quarter} though, things may change.", "deferral,mixed"),
            ("Let's talk next quarter, we're heads-down on the audit until then.", "deferral,mixed"),
            ("Try me again after our fiscal year closes in June.", "deferral"),
            ("Reach out in the fall, not before.", "deferral"),
            "We switched to {tool} last month, so we're locked in for a while.",
            "Nope, not interested in the slightest.",
            ("I appreciate you reaching out, but I'm going to say no for now.", "polite"),
            "We just don't need this. Good luck though!",
            ("Thank you, we'll keep you in mind if anything changes.", "polite"),
            ("Great pitch. Wrong decade. We're on paper and proud of it.", "sarcasm"),
            ("Cute email. Still no.", "sarcasm"),
            ("Interesting product, but we have zero appetite for another rollout this year.", "mixed"),
            "I'm sure it's a great tool. We're not buying.",
            "Not right now - we're consolidating vendors, not adding them.",
            ("Love the idea, hate the timing. Let's reconnect after the summer.", "deferral,mixed"),
            ("Interested in principle, but there's no budget until {month}. Ping me then.", "deferral,mixed"),
            ("Yes, but not until {month}. Can you reach out then?", "deferral,mixed"),
            ("Ah yes, the famous '20 minutes'. We both know it's never 20 minutes. Pass.", "sarcasm"),
            "We decided to stay with {tool}. Thanks for your time.",
            (
                "I'll be honest, we looked at three tools like yours last year and none of them moved the needle. "
                "We're not revisiting this.",
                "long",
            ),
            ("Happy for you that you cut cycle time at other companies. Ours is fine. No thanks.", "sarcasm"),
            "We don't buy from cold outreach, sorry.",
            ("Thanks for the persistence, but it's a no from us. We've outsourced AP to a BPO partner.", "polite"),
            ("Can't justify it this year. Try us again in {quarter} when the new budget is approved.", "deferral"),
            (
                "Thanks for the detailed note. We actually went through a selection process for exactly this last autumn. "
                "We shortlisted three vendors, ran a pilot with one of them, and in the end decided to extend what our ERP "
                "already does rather than add another system. The team is tired of new tools and I have promised them a "
                "quiet year. So it's a no from me, but I appreciate the effort you put into the email.",
                "long,polite",
            ),
            (
                "Look, I'm sure your numbers are real, but every vendor says 11 days to 3. We tried two of these tools. "
                "Both needed months of IT time, both broke on our multi-entity setup, and both got ripped out. "
                "Until someone shows up with a reference from a company that looks like ours, I'm not spending another "
                "quarter on this. Not interested.",
                "long,blunt",
            ),
        ],
        "de": [
            "Kein Interesse, danke.",
            "Wir sind mit unserem aktuellen Anbieter zufrieden.",
            ("Derzeit kein Bedarf. Melden Sie sich gerne im Herbst wieder.", "deferral"),
            ("Leider passt das aktuell nicht. Versuchen Sie es bitte im nächsten Jahr noch einmal.", "deferral"),
            "Nein danke, wir haben bereits eine Lösung im Einsatz.",
            "Aktuell haben wir dafür kein Budget.",
            "Das brauchen wir nicht, unsere Freigaben laufen gut.",
            ("Schon wieder eine Mail? Die Antwort bleibt nein.", "sarcasm"),
        ],
        "fr": [
            "Non merci, nous sommes déjà équipés.",
            "Pas intéressé pour le moment.",
            ("Ce n'est pas une priorité pour nous. Recontactez-moi en septembre.", "deferral"),
            "Merci, mais nous avons déjà un prestataire.",
            "Pas pour nous, désolé.",
            ("Encore un outil miracle ? Sans façon.", "sarcasm"),
            "Nous n'avons pas de budget cette année.",
        ],
        "es": [
            "No nos interesa, gracias.",
            ("Ahora no es buen momento. Contácteme después del verano.", "deferral"),
            "Ya trabajamos con otro proveedor.",
            "No, gracias. Estamos bien así.",
            ("Por ahora no, quizás el próximo año.", "deferral"),
            "No tenemos presupuesto para esto.",
        ],
        "pt": [
            "Não temos interesse no momento, obrigado.",
            ("Agora não. Me procure no terceiro trimestre.", "deferral"),
            "Já usamos outra ferramenta e estamos satisfeitos.",
            "Não, obrigado.",
            "Não é prioridade para nós este ano.",
        ],
        "nl": [
            "Geen interesse, bedankt.",
            "Nee bedankt, we hebben al een oplossing.",
            ("Op dit moment niet. Neem na de zomer nog eens contact op.", "deferral"),
            "Dit is geen prioriteit voor ons dit jaar.",
            "Wij hebben hier geen behoefte aan.",
        ],
    },
    "unsubscribe": {
        "en": [
            ("Unsubscribe.", "short"),
            "Please remove me from your list.",
            ("Stop emailing me.", "blunt"),
            "Take me off your mailing list, thanks.",
            "I never signed up for this. Remove my address immediately.",
            "How did you get my email? Please delete my data and don't contact me again.",
            ("STOP", "short"),
            ("Remove.", "short"),
            "Under GDPR I'm asking you to erase my personal data and stop all contact.",
            ("This is the fifth email. Unsubscribe me or I'm reporting you as spam.", "blunt"),
            "Please stop sending me these.",
            "Opt me out please.",
            "Do not contact me again.",
            ("Kindly remove me from your distribution list.", "polite"),
            ("Not interested, and please take me off whatever list this is.", "mixed"),
            ("I'd appreciate it if you stopped reaching out.", "polite"),
            "No more emails please.",
            "Please don't email me again, thanks.",
            ("Wow, what a thrill to get another one of these. Unsubscribe.", "sarcasm"),
            "Can you take me off your list? Thanks!",
            "Please update your records: I do not wish to receive sales emails from your company.",
            "Remove me and everyone else at {company} from your database.",
            ("Cease and desist. No further contact.", "blunt"),
            "I'm reporting this as spam. Remove me.",
            ("Please, by all means, keep filling my inbox... or, better idea, unsubscribe me.", "sarcasm"),
            "I'd like to opt out of all future communications.",
            "Please stop. I've asked twice already.",
            ("Unsubscribe me. I'm interested in a lot of things, your product isn't one of them.", "sarcasm,mixed"),
            "Remove my email address from all your lists, please.",
            "I did not consent to receiving these emails. Delete my contact details.",
            "Stop the sequence. I'm not going to reply to any more of these.",
            ("Hi, polite request: please remove me from future mailings. Thank you.", "polite"),
            "Don't send me anything else.",
            "Whoever is running this campaign, please take my name off it.",
            ("Interesting idea, but please don't email me again.", "mixed"),
            (
                "This is the third sequence from your company I have been put into this quarter, each time from a "
                "different sender. I have never been a customer, I have never asked for information, and I don't "
                "remember giving anyone permission to email me. Please remove my address from every list you have "
                "and confirm that you have done so.",
                "long,blunt",
            ),
        ],
        "de": [
            "Bitte nehmen Sie mich aus Ihrem Verteiler.",
            ("Abmelden.", "short"),
            "Bitte keine weiteren E-Mails.",
            "Ich widerspreche der Nutzung meiner Daten. Bitte löschen Sie meine Adresse.",
            "Bitte kontaktieren Sie mich nicht mehr.",
            "Bitte tragen Sie mich aus Ihrer Liste aus.",
        ],
        "fr": [
            "Merci de me retirer de votre liste.",
            "Désabonnement s'il vous plaît.",
            "Ne me contactez plus.",
            "Je ne souhaite plus recevoir vos e-mails.",
            "Supprimez mes coordonnées de votre fichier, merci.",
        ],
        "es": [
            "Por favor, denme de baja de su lista.",
            "No quiero recibir más correos.",
            "Elimínenme de su base de datos, por favor.",
            "Dejen de escribirme.",
            "Darme de baja, gracias.",
        ],
        "pt": [
            "Por favor, me remova da sua lista.",
            "Não quero receber mais e-mails.",
            "Descadastrar.",
            "Não me envie mais mensagens, por favor.",
        ],
        "nl": [
            "Graag uitschrijven.",
            "Verwijder mij alstublieft uit uw bestand.",
            "Ik wil geen e-mails meer ontvangen.",
            "Stop met mailen alstublieft.",
        ],
    },
    "referral": {
        "en": [
            "I'm not the right person for this. Please reach out to {name} ({email}).",
            "You'll want to talk to our controller, {name}. {first} owns AP.",
            "Cc'ing my colleague {name}, who handles procurement.",
            "{name} runs finance ops here, try {email}.",
            "Forwarding this to {name}, our head of finance. {first}, see below.",
            "The best person is {name} ({email}). I've let them know you'll reach out.",
            "I moved to a different role. {name} took over vendor management: {email}",
            "Please contact our purchasing department at purchasing@{domain}.",
            "Not my area. Try {first} in accounts payable, {email}.",
            "Looping in {name}, who is evaluating tools like this right now.",
            "I left {company} in January. My successor is {name}.",
            "Send this to {email}, she makes those decisions.",
            ("Not interested myself, but our CFO {name} might be: {email}", "mixed"),
            "Our AP manager is {name} - {email}. Mention that I sent you.",
            "You should speak with {name}. I've copied them here.",
            "Wrong department, but {name} in finance transformation is the one to talk to: {email}",
            ("Honestly, not my call. {name} owns the budget for this. {email}", "blunt"),
            "Please get in touch with {name}, our controller, at {email}.",
            "I don't handle vendor evaluations - {name} does. Reach her at {email}.",
            "Adding {name} from our shared services team, who looks after invoice processing.",
            "{first} {last} is responsible for this area. Their address is {email}.",
            ("Thanks for the note! I'm in sales myself, so I feel your pain :) The person you want is {name}, {email}.", "polite"),
            "I'm no longer responsible for finance systems. Contact {name} ({email}) instead.",
            "Our CFO {name} would be the right person. I've forwarded your message.",
            "Talk to {name}. {first} runs our finance team.",
            (
                "Thanks for reaching out. I moved from finance to the operations side of the business about six months "
                "ago, so I'm no longer involved in how we process invoices. The person who took over accounts payable "
                "is {name}, and she is the one evaluating tools at the moment. You can reach her at {email}. "
                "Feel free to mention that I pointed you to her.",
                "long,polite",
            ),
        ],
        "de": [
            "Dafür ist meine Kollegin {name} zuständig: {email}",
            "Bitte wenden Sie sich an {name} ({email}).",
            "Ich bin nicht der richtige Ansprechpartner. Kontaktieren Sie bitte {name} unter {email}.",
            "Ich habe Ihre Nachricht an {name} aus der Buchhaltung weitergeleitet.",
        ],
        "fr": [
            "Je ne suis pas la bonne personne. Contactez {name} ({email}).",
            "Adressez-vous à {name}, notre DAF : {email}",
            "C'est {name} qui gère ce sujet, je la mets en copie.",
        ],
        "es": [
            "No soy la persona indicada. Escriba a {name}: {email}",
            "Póngase en contacto con {name}, nuestra directora financiera ({email}).",
            "Le paso su correo a {name}, que lleva compras.",
        ],
        "pt": [
            "Não sou a pessoa certa. Fale com {name} ({email}).",
            "Quem cuida disso é {name}, do financeiro: {email}",
            "Encaminhei sua mensagem para {name}, nosso controller.",
        ],
        "nl": [
            "Neem contact op met {name}, {email}.",
            "Ik ben niet de juiste persoon, {name} gaat hierover: {email}",
            "Ik heb uw bericht doorgestuurd naar {name} van de financiële administratie.",
        ],
    },
    "wrong_person": {
        "en": [
            "I'm not the right person for this.",
            ("Wrong person, sorry.", "short"),
            "I no longer work at {company}.",
            "I left the company last year.",
            "This isn't my department.",
            "I'm in engineering, I have nothing to do with invoices.",
            "I don't make purchasing decisions, sorry.",
            "You have the wrong Alex.",
            "I retired in December. Good luck!",
            "Not sure why I'm getting this - I'm an intern.",
            "I'm not involved in finance at all.",
            "I think you've got me confused with someone else.",
            "I handle marketing, not AP. Not sure who does, honestly.",
            "Wrong contact - I moved to the Singapore office and don't cover this anymore.",
            "I'm not the decision maker here.",
            "I haven't worked there since 2025.",
            ("You clearly didn't check LinkedIn. I left {company} two years ago.", "sarcasm"),
            "This should go to someone in finance, not me. I'm in HR.",
            "I'm a contractor, I don't have any say in tooling.",
            "No idea who handles this, but it isn't me.",
            "I'm not responsible for accounts payable.",
            ("I'm flattered, but I'm a software developer. Wrong inbox.", "sarcasm"),
            "This address belongs to a shared team inbox, not a finance person.",
            "Not my responsibility anymore since the reorg.",
            (
                "I think there's been a mix-up. I work in the legal department and have nothing to do with invoices, "
                "approvals or finance software. I'm also not sure who on the finance side would look at this, "
                "we're a large organisation and it changes often. Sorry I can't be more helpful.",
                "long",
            ),
        ],
        "de": [
            "Ich bin nicht der richtige Ansprechpartner.",
            "Ich bin nicht mehr bei {company} tätig.",
            "Dafür bin ich nicht zuständig.",
            "Ich habe das Unternehmen verlassen.",
        ],
        "fr": [
            "Je ne suis plus dans l'entreprise.",
            "Ce n'est pas mon domaine, désolé.",
            "Je ne suis pas la bonne personne pour ce sujet.",
        ],
        "es": [
            "Ya no trabajo en esa empresa.",
            "No soy la persona responsable de esto.",
            "Se equivocó de persona.",
        ],
        "pt": [
            "Não trabalho mais nessa empresa.",
            "Não sou responsável por essa área.",
            "Acho que você mandou para a pessoa errada.",
        ],
        "nl": [
            "Ik werk hier niet meer.",
            "Ik ben niet de juiste persoon hiervoor.",
            "Daar ga ik niet over.",
        ],
    },
    "question": {
        "en": [
            "How is this different from what {tool} does?",
            ("What does it cost?", "short"),
            "Do you integrate with SAP Business One?",
            "Who gave you my email address?",
            "Is this SOC 2 compliant?",
            "What's the minimum contract length?",
            "Can it handle invoices in multiple currencies?",
            "Where is the data stored? We need EU hosting.",
            "Do you have customers in healthcare? Which ones?",
            "How long does implementation usually take?",
            "Is there a free trial?",
            "What exactly do you mean by 'routes exceptions'?",
            "Sorry, which company are you with again?",
            "How did you find us?",
            "Do you charge per user or a flat fee?",
            "Quick question: does it work with scanned PDFs or only e-invoices?",
            "Can you clarify the 11 days to 3 claim? Measured how?",
            "Do you support approval workflows in Microsoft Teams?",
            "What happens to our data if we cancel?",
            ("Is this a real person or a bot?", "sarcasm"),
            "Have we spoken before?",
            ("What's the catch?", "short"),
            "Does your team have anyone based in Germany?",
            ("I'm not sure this is a fit. What does it cost for a team of five?", "mixed"),
            "Which ERPs do you support out of the box? We're on Dynamics.",
            "Does it do three-way matching with goods receipts, or just PO matching?",
            "How do you price it - per invoice?",
            "Who else in the food industry uses this?",
            "What would we need from IT to get started?",
            "Is there an on-prem version?",
            ("Before anything else: are you GDPR compliant, and who are your subprocessors?", "blunt"),
            "Can approvers sign off from their phones?",
            "How does this compare with just using our ERP's workflow module?",
            ("Hmm, is this the same company that emailed me last year under a different name?", "sarcasm"),
            "Do you have a reference customer I could speak to?",
            (
                "A few questions before I loop anyone in. How do you handle invoices that arrive as photos from "
                "the warehouse? What happens when a PO has partial deliveries over several weeks? Can approvers "
                "delegate while they are on leave? And is the pricing per invoice, per approver or flat? If you can "
                "answer those in writing I will know whether a call makes sense.",
                "long",
            ),
        ],
        "de": [
            "Was kostet das pro Monat?",
            "Funktioniert das auch mit DATEV?",
            "Wo werden die Daten gespeichert?",
            "Woher haben Sie meine E-Mail-Adresse?",
        ],
        "fr": [
            "Quel est le prix ?",
            "Est-ce compatible avec Sage ?",
            "Où sont hébergées les données ?",
            "Vous travaillez avec des entreprises de notre taille ?",
        ],
        "es": [
            "¿Cuánto cuesta?",
            "¿Se integra con SAP?",
            "¿Tienen clientes en México?",
            "¿Dónde se guardan los datos?",
        ],
        "pt": [
            "Quanto custa?",
            "Funciona com o TOTVS?",
            "Vocês têm suporte em português?",
        ],
        "nl": [
            "Wat kost dat?",
            "Werkt het met Exact Online?",
            "Waar worden de gegevens opgeslagen?",
        ],
    },
    "unknown": {
        "en": [
            ("Thanks, got it.", "short"),
            ("Received.", "short"),
            ("Ok.", "short"),
            "Will review and get back to you.",
            "Thanks for the email.",
            ("👍", "short"),
            "See attached.",
            ("FYI", "short"),
            ("Noted.", "short"),
            "Let me think about it.",
            "I'll discuss internally and revert.",
            ("Hmm.", "short"),
            "Can't talk now, driving.",
            "Thanks Alex, I'll have a look when I get a chance.",
            "Forwarded internally.",
            "Happy holidays to you too!",
            "Sorry for the late reply, busy week. I'll get back to you.",
            "This came through blank on my end.",
            "Your email got cut off after the first paragraph.",
            ("Testing.", "short"),
            "I'll keep it in mind.",
            "Ok thanks",
            "Let me check with my team.",
            "Thanks for sharing.",
            "Interesting read, I'll pass it around.",
            "Got your message, will respond properly next week.",
            "Sorry, I only just saw this. Give me a few days.",
            ("Haha, nice subject line.", "sarcasm"),
            "Replying from my phone - more later.",
            "Thank you for your patience.",
            "Can you resend the attachment? It didn't come through.",
            "I'm reading this now.",
            (
                "Thanks for your email. I'm just back from two weeks of travel and working through a very full inbox, "
                "so it may take me a while to read this properly. I have flagged it and will come back to you once "
                "the month-end close is behind us.",
                "long",
            ),
        ],
        "de": [
            "Danke, ich schaue es mir an.",
            "Habe ich erhalten.",
            "Ich melde mich.",
            "Danke für die Info.",
        ],
        "fr": [
            "Merci, bien reçu.",
            "Je regarde et je reviens vers vous.",
            "Noté, merci.",
        ],
        "es": [
            "Recibido, gracias.",
            "Lo reviso y le comento.",
            "Gracias por la información.",
        ],
        "pt": [
            "Recebido, obrigado.",
            "Vou analisar e te retorno.",
            "Obrigado pelo contato.",
        ],
        "nl": [
            "Ontvangen, dank je.",
            "Ik kom erop terug.",
            "Bedankt voor de informatie.",
        ],
    },
    "out_of_office": {
        "en": [
            "I am out of the office until {date} with limited access to email. For urgent matters please contact {name} at {email}.",
            "Thank you for your email. I'm currently on annual leave and will return on {date}.",
            "I'm away on a business trip until {day} and will reply when I'm back.",
            "Out of office: back {date}.",
            "I am on parental leave until {month}. Your message will not be forwarded.",
            "I'm travelling this week with limited connectivity. I'll respond on my return on {date}.",
            "Thanks for your note - I'm off until {date} and checking email only occasionally.",
            "I'm on vacation through {date}. For anything urgent, please call the front desk.",
            "I am attending a conference and will be back in the office on {date}.",
            "I'm out sick today and will reply as soon as I can.",
            "I am currently out of the office and will return {date}. I will respond to your email upon my return.",
            "Hello, I'm on holiday until {date} without access to email. In my absence, please contact {email}.",
            "I'm away from my desk until {date}. Your email will be read when I return.",
            "I am on leave and back on {date}. If your matter is urgent, contact my colleague {name}.",
            "I'm out of the office with no access to email. Back Monday.",
            "I will be out of the office from March 18 to {date} inclusive.",
            "Thanks for reaching out! I'm on a much-needed break until {date} and will get back to you after that.",
            "I'm currently offline at an offsite and will catch up on email on {date}.",
            "I'm on sabbatical until {month} and not reading email.",
            "I'm out of the office until further notice. Please contact {email}.",
            (
                "Thank you for your email. I am currently out of the office on annual leave and will return on {date}. "
                "During this time I will have very limited access to email. For anything related to accounts payable, "
                "please contact {name} at {email}. For urgent matters regarding the month-end close, please call the "
                "finance hotline. I will respond to your message as soon as possible after my return.",
                "long",
            ),
        ],
        "de": [
            "Vielen Dank für Ihre Nachricht. Ich bin bis zum {date} nicht im Büro und habe keinen Zugriff auf meine E-Mails.",
            "Ich bin ab dem {date} wieder erreichbar.",
            "Ich befinde mich im Urlaub und bin ab {date} wieder im Büro. In dringenden Fällen wenden Sie sich bitte an {email}.",
            "Ich bin derzeit abwesend und ab dem {date} wieder für Sie da.",
            "Ich bin auf Dienstreise und zurück am {date}.",
        ],
        "fr": [
            "Je suis absent du bureau jusqu'au {date} inclus.",
            "Je suis en congés, de retour le {date}.",
            "Je suis actuellement en déplacement et je lirai vos messages à mon retour le {date}.",
            "Je suis absente jusqu'au {date}. En cas d'urgence, contactez {email}.",
        ],
        "es": [
            "Estoy fuera de la oficina hasta el {date} con acceso limitado al correo.",
            "Me encuentro de vacaciones hasta el {date}. Responderé a mi regreso.",
            "Estaré fuera hasta {date}. Para temas urgentes escriba a {email}.",
            "Estoy de viaje de trabajo y regreso el {date}.",
        ],
        "pt": [
            "Estou fora do escritório até {date}, com acesso limitado ao e-mail.",
            "Estou de férias e retorno em {date}.",
            "Estarei ausente até {date}. Em caso de urgência, fale com {email}.",
        ],
        "nl": [
            "Ik ben afwezig tot en met {date} en lees mijn mail niet.",
            "Ik ben met vakantie tot {date}. Voor dringende zaken kunt u mailen naar {email}.",
            "Ik ben niet op kantoor en ben terug op {date}.",
        ],
    },
    "auto_reply": {
        "en": [
            "Thank you for contacting {company} support. Your request #{num} has been received and a member of our team will respond within 24 hours.",
            "This is an automated message. This mailbox is not monitored.",
            "We have received your email and will get back to you within two business days.",
            "Your message has been received. Please do not reply to this email.",
            "Thanks for reaching out! This is an auto-response to let you know we got your email. Our typical response time is 1-2 days.",
            "Ticket #{num} created. We'll be in touch shortly.",
            "Please note that I have a new email address: {email}. Please update your records.",
            "Your email to the accounts team has been logged under reference AP-{num}.",
            "This address is no longer in use. Please resend your message to info@{domain}.",
            "Thank you for your inquiry. Our office hours are Monday to Friday, 9:00-17:00. We will respond on the next business day.",
            "Automatic reply: your message was delivered to the invoices inbox and will be processed in order of receipt.",
            "We're experiencing a high volume of emails. Please allow up to 5 business days for a response.",
            "This is an automatic confirmation that your email has been received by the {company} service desk.",
            "Thank you for your submission. A confirmation number has been assigned: {num}.",
            "Hello! I'm the virtual assistant for {company}. A human will read your message soon.",
            "Please do not reply to this message. This inbox only accepts invoices in PDF format.",
            (
                "Thank you for your message. This mailbox is monitored Monday to Friday between 08:00 and 16:00 CET. "
                "Invoices must be sent as PDF attachments, one invoice per file, quoting a valid purchase order number. "
                "Messages that do not contain an invoice are not answered. For supplier questions please use the "
                "supplier portal. This is an automatically generated message.",
                "long",
            ),
            "Your email could not be processed by our ticketing system because it did not contain a valid order number.",
        ],
        "de": [
            "Vielen Dank für Ihre Nachricht. Diese E-Mail wurde automatisch erstellt. Wir melden uns schnellstmöglich.",
            "Ihre Anfrage ist bei uns eingegangen (Ticket-Nr. {num}).",
            "Dies ist eine automatische Antwort. Bitte antworten Sie nicht auf diese E-Mail.",
        ],
        "fr": [
            "Ceci est une réponse automatique. Nous avons bien reçu votre message et y répondrons dans les meilleurs délais.",
            "Votre demande a été enregistrée sous le numéro {num}.",
            "Merci de ne pas répondre à ce message automatique.",
        ],
        "es": [
            "Este es un mensaje automático. Hemos recibido su correo y le responderemos a la brevedad.",
            "Su solicitud ha sido registrada con el número {num}.",
            "Por favor no responda a este correo, es generado automáticamente.",
        ],
        "pt": [
            "Esta é uma resposta automática. Recebemos sua mensagem e retornaremos em breve.",
            "Sua solicitação foi registrada com o protocolo {num}.",
        ],
        "nl": [
            "Dit is een automatisch antwoord. Wij hebben uw bericht ontvangen en nemen zo snel mogelijk contact met u op.",
            "Uw melding is geregistreerd onder nummer {num}.",
        ],
    },
}

MACHINE_LIKE = frozenset({"out_of_office", "auto_reply"})  # no greeting/context wrappers beyond a sign-off


# --------------------------------------------------------------------------- #
# generation
# --------------------------------------------------------------------------- #


def _slots(rng: random.Random, lang: str) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = rng.choice(COMPANY)
    domain = re.sub(r"[^a-z]", "", company.lower()) + ".example"
    local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower().replace(" ", "").replace("é", "e").replace("ü", "u"))
    return {
        "first": first,
        "last": last,
        "name": f"{first} {last}",
        "email": f"{local}@{domain}",
        "company": company,
        "domain": domain,
        "tool": rng.choice(TOOL),
        "day": rng.choice(DAY_EN),
        "time": rng.choice(TIME_EN),
        "quarter": rng.choice(QUARTER),
        "month": rng.choice(MONTH_EN),
        "date": rng.choice(DATE_BY_LANG[lang]),
        "num": str(rng.randint(10_000, 999_999)),
    }


def _entries(entries: list[Entry]) -> list[tuple[str, list[str]]]:
    out = []
    for entry in entries:
        text, tags = (entry, "") if isinstance(entry, str) else entry
        out.append((text, [t for t in tags.split(",") if t]))
    return out


def _variant(rng: random.Random, core: str, label: str, lang: str, plain: bool) -> str:
    slots = _slots(rng, lang)
    body = core.format(**slots)
    if plain:
        return body
    if label in MACHINE_LIKE:
        return body + rng.choice(CLOSING[lang]).format(**slots) if rng.random() < 0.4 else body
    parts = [rng.choice(GREETING[lang])]
    if rng.random() < 0.25:
        parts.append(rng.choice(CONTEXT[lang]) + (" " if rng.random() < 0.5 else "\n\n"))
    parts.append(body)
    parts.append(rng.choice(CLOSING[lang]).format(**slots))
    return "".join(parts).strip()


def _group_id(label: str, lang: str, core: str) -> str:
    return hashlib.sha256(f"{label}|{lang}|{core}".encode()).hexdigest()[:12]


def build() -> list[dict]:
    """Every record, in a stable order, with its split."""
    rng = random.Random(SEED)
    records: list[dict] = []
    for label, by_lang in BANK.items():
        for lang, entries in by_lang.items():
            groups = [(core, tags, _group_id(label, lang, core)) for core, tags in _entries(entries)]
            # stratified, grouped hold-out: every 4th group of this (label, language) in a seeded order
            order = sorted(groups, key=lambda g: hashlib.sha256(f"{SEED}|{g[2]}".encode()).hexdigest())
            n_test = max(1, round(len(order) * TEST_SHARE)) if len(order) >= 3 else 0
            test_groups = {g[2] for g in order[:n_test]}
            for core, tags, group in groups:
                seen: set[str] = set()
                for v in range(2):
                    text = _variant(rng, core, label, lang, plain=(v == 0 and rng.random() < 0.5))
                    if text in seen:
                        continue
                    seen.add(text)
                    records.append(
                        {
                            "id": f"{group}-{v}",
                            "text": text,
                            "label": label,
                            "lang": lang,
                            "split": "test" if group in test_groups else "train",
                            "group": group,
                            "tags": tags,
                            "source": "written",
                        }
                    )
    return records


def write(records: list[dict], path: Path = DATA_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> None:
    records = build()
    write(records)
    n_test = sum(r["split"] == "test" for r in records)
    print(f"wrote {len(records)} replies ({len(records) - n_test} train, {n_test} test) to {DATA_PATH}")


if __name__ == "__main__":
    main()
