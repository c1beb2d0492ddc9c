"""Stop words and negation words per language, for key phrases and the language check.

Function words after the Snowball project's stop lists (snowballstemmer does
not ship them), plus a few filler words that carry no theme in survey comments
("thanks", "really", "ok"). Negation words are *not* stop words: they attach to
the next content word ("not helpful", "nicht hilfreich") so a negated comment
does not count towards the plain word's theme.

``STEMMERS`` names the snowballstemmer algorithm of each language.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words("""
        a about above after again against all am an and any are aren't as at be because been before being
        below between both but by can could couldn't did do does doing down during each few for from further
        had has have having he he'd he'll he's her here here's hers herself him himself his how how's i i'd
        i'll i'm i've if in into is it it's its itself let's me more most must my myself of off on once only
        or other ought our ours ourselves out over own same she she'd she'll she's should so some such than
        that that's the their theirs them themselves then there there's these they they'd they'll they're
        they've this those through to too under until up very was we we'd we'll we're we've were what what's
        when when's where where's which while who who's whom why why's will with would you you'd you'll
        you're you've your yours yourself yourselves
        also just really quite much many lot lots bit thanks thank thx please pls ok okay oh yes yeah
        get got getting gets go going went keep keeps kept one two three still even ever every etc
        im ive ill id
        us via within without again always sometimes anything something everything
    """),
    "de": _words("""
        aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm
        andern anderr anders auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu daß dein deine
        deinem deinen deiner deines dem demselben den denn denselben der derer derselbe derselben des desselben
        dessen dich die dies diese dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein
        eine einem einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch euer
        eure eurem euren eurer eures für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm
        ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene jenem
        jenen jener jenes jetzt kann können könnte machen man manche manchem manchen mancher manches mein meine
        meinem meinen meiner meines mich mir mit muss musste nach noch nun nur ob oder ohne sehr sein seine
        seinem seinen seiner seines selbst sich sie sind so solche solchem solchen solcher solches soll sollte
        sondern sonst über um und uns unsere unserem unseren unser unseres unter viel vom von vor war waren
        warst was weg weil weiter welche welchem welchen welcher welches wenn werde werden wie wieder will wir
        wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen
        danke bitte ok okay ja mal schon ganz echt wirklich immer
    """),
    "fr": _words("""
        au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes moi
        mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos
        votre vous c d j l à m n s t y été étée étées étés étant étante étants étantes suis es est sommes êtes
        sont serai seras sera serons serez seront serais serait serions seriez seraient étais était étions
        étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient fusse fusses fût fussions
        fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura
        aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes
        eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent qu'il qu'elle
        cette cet tout tous toute toutes très bien trop plus aussi alors donc car comme ça cela ceci
        merci ok oui
    """),
    "es": _words("""
        de la que el en y a los del se las por un para con una su al lo como más pero sus le ya o este sí
        porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos
        uno les contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él tanto
        esa estos mucho quienes muchos cual poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus
        ellas nosotras vosotros vosotras os mío mía míos mías tuyo tuya tuyos tuyas suyo suya suyos suyas
        nuestro nuestra nuestros nuestras vuestro vuestra vuestros vuestras esos esas estoy estás está estamos
        estáis están esté estés estemos estéis estén estaré estará estaba estaban estuve estuvo he has ha hemos
        habéis han haya había habían hube hubo soy eres es somos sois son sea sean seré será era eran fui fue
        fueron tengo tienes tiene tenemos tenéis tienen tenía tuve tuvo
        gracias ok vale bien muy
    """),
    "it": _words("""
        ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall dagl dalla dalle di del
        dello dei degli dell degl della delle in nel nello nei negli nell negl nella nelle su sul sullo sui
        sugli sull sugl sulla sulle per tra contro io tu lui lei noi voi loro mio mia miei mie tuo tua tuoi
        tue suo sua suoi sue nostro nostra nostri nostre vostro vostra vostri vostre mi ti ci vi lo la li le
        gli ne il un uno una ma ed se perché anche come dov dove che chi cui più quale quanto quanti quanta
        quante quello quelli quella quelle questo questi questa queste si tutto tutti a c e i l o ho hai ha
        abbiamo avete hanno abbia avevo aveva avevano sono sei è siamo siete sia ero era erano fui fu furono
        sto stai sta stiamo state stanno stavo stava molto poi già ancora
        grazie ok
    """),
    "nl": _words("""
        de en van ik te dat die in een hij het is was op aan met als voor had er maar om hem dan zou of wat
        mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft hebben deze
        u want nog zal me zij nu ge geen omdat iets worden toch al waren veel meer doen toen moet ben zonder
        kan hun dus alles onder ja eens hier wie werd altijd doch wordt wezen kunnen ons zelf tegen na reeds
        wil kon niets uw iemand geweest andere heel erg wel bedankt dank ok
    """),
    "pt": _words("""
        a à ao aos aquela aquelas aquele aqueles aquilo as às até com como da das de dela delas dele deles
        depois do dos e é ela elas ele eles em entre era eram essa essas esse esses esta está estamos estão
        estas estava estavam este estes estou eu foi fomos for foram fosse fossem fui há isso isto já lhe
        lhes mais mas me mesmo meu meus minha minhas muito na nas nós no nos nossa nossas nosso nossos num
        numa o os ou para pela pelas pelo pelos por qual quando que quem são se seja sejam sem ser será seu
        seus só sua suas também te tem têm tenho teu teus ti tinha tive tu tua tuas um uma você vocês vos
        obrigado obrigada ok
    """),
}

NEGATIONS: dict[str, frozenset[str]] = {
    "en": _words("no not never nor none nothing nobody nowhere cannot cant dont didnt doesnt isnt wasnt wont "
                 "wouldnt couldnt shouldnt hasnt havent hadnt arent werent neither"),
    "de": _words("nicht kein keine keinen keinem keiner keines nie niemals nichts weder"),
    "fr": _words("ne n pas jamais aucun aucune rien personne ni"),
    "es": _words("no nunca jamás ningún ninguna ninguno nada nadie ni tampoco"),
    "it": _words("non mai nessun nessuno nessuna niente nulla né"),
    "nl": _words("niet geen nooit niets niemand noch"),
    "pt": _words("não nunca jamais nenhum nenhuma nada ninguém nem"),
}

# the language's stop words less its negation words
STOPWORDS = {lang: words - NEGATIONS.get(lang, frozenset()) for lang, words in STOPWORDS.items()}

STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "nl": "dutch",
            "pt": "portuguese"}

LANGUAGES = tuple(STOPWORDS)  # the languages the language check can tell apart, English first
